"""Enrolments, follow-ups, annual health checks and certified chronic diseases."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Facility
from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from gpassist.followup.rules import Classification
from gpassist.labels import LabelledEnum
from gpassist.patients.tables import Patient


class EnrolmentStatus(LabelledEnum):
    active = "active", "在管", "Active"
    withdrawn = "withdrawn", "已退出", "Withdrawn"


class WithdrawReason(enum.StrEnum):
    moved = "moved"
    died = "died"
    refused = "refused"
    transferred = "transferred"


class Enrolment(Base):
    """A patient in one program. The latest follow-up's outcome is kept here so the morning's
    due and overdue lists are one indexed query."""

    __tablename__ = "followup_enrolments"
    __table_args__ = (
        # One active spell per program; a withdrawn spell stays as it was (reports read it) and
        # re-enrolment starts a new one.
        Index(
            "uq_followup_enrolments_active",
            "patient_id",
            "program",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_followup_enrolments_worklist", "clinic_id", "status", "next_due"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    program: Mapped[str] = mapped_column(String(32))
    status: Mapped[EnrolmentStatus] = mapped_column(str_enum(EnrolmentStatus))
    enrolled_on: Mapped[dt.date] = mapped_column(Date)
    withdrawn_on: Mapped[dt.date | None] = mapped_column(Date)
    withdraw_reason: Mapped[WithdrawReason | None] = mapped_column(str_enum(WithdrawReason))
    next_due: Mapped[dt.date] = mapped_column(Date)
    last_follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    last_classification: Mapped[Classification | None] = mapped_column(str_enum(Classification))
    last_urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    last_referral: Mapped[bool] = mapped_column(Boolean, default=False)
    last_sbp: Mapped[float | None] = mapped_column(Float)
    last_dbp: Mapped[float | None] = mapped_column(Float)
    last_fasting_glucose: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    patient: Mapped[Patient] = relationship(lazy="joined")


class FollowUp(Base):
    """One face-to-face follow-up of one program, with the rules' verdict."""

    __tablename__ = "followup_visits"
    # One follow-up per program per day: a double-submitted form is refused, not counted twice.
    __table_args__ = (
        Index("ix_followup_visits_enrolment_date", "enrolment_id", "visit_date", unique=True),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("followup_enrolments.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    program: Mapped[str] = mapped_column(String(32))
    visit_date: Mapped[dt.date] = mapped_column(Date, index=True)
    sbp: Mapped[float | None] = mapped_column(Float)
    dbp: Mapped[float | None] = mapped_column(Float)
    fasting_glucose: Mapped[float | None] = mapped_column(Float)
    heart_rate: Mapped[float | None] = mapped_column(Float)
    temperature: Mapped[float | None] = mapped_column(Float)
    adverse_reaction: Mapped[bool] = mapped_column(Boolean, default=False)
    new_complication: Mapped[bool] = mapped_column(Boolean, default=False)
    symptoms: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    medication_changes: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # The standard's record fields the rules do not read (schemas.FollowUpRecord, as JSON).
    record: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    classification: Mapped[Classification] = mapped_column(str_enum(Classification))
    urgent_referral: Mapped[bool] = mapped_column(Boolean)
    referral: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    next_due: Mapped[dt.date] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AnnualCheck(Base):
    """The yearly health check (年度健康体检) of a managed patient."""

    __tablename__ = "followup_annual_checks"
    __table_args__ = (UniqueConstraint("patient_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    year: Mapped[int] = mapped_column(Integer)
    check_date: Mapped[dt.date] = mapped_column(Date)
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"))
    findings: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChronicCertification(Base):
    """A certified chronic disease (门诊慢特病认定); chronic-outpatient bills need one."""

    __tablename__ = "chronic_certifications"
    __table_args__ = (UniqueConstraint("patient_id", "disease"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    disease: Mapped[str] = mapped_column(String(32))
    icd10: Mapped[str] = mapped_column(String(10))
    certified_on: Mapped[dt.date] = mapped_column(Date)
    certifying_facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    certifying_facility: Mapped[Facility] = relationship(lazy="joined")
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    revoked_on: Mapped[dt.date | None] = mapped_column(Date)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
