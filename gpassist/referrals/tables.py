"""Referral records: to which department, why, how urgent, and what came of it."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Department
from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from gpassist.labels import LabelledEnum
from gpassist.patients.tables import Patient


class ReferralStatus(LabelledEnum):
    open = "open", "待就诊", "Open"
    closed = "closed", "已完成", "Done"


class ReferralSource(enum.StrEnum):
    followup = "followup"
    consultation = "consultation"


class Referral(Base):
    """转诊: a village clinic's patient sent to a hospital department; closed with an outcome."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_department_status", "department_id", "status"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    source: Mapped[ReferralSource] = mapped_column(str_enum(ReferralSource))
    source_id: Mapped[int | None] = mapped_column(BigId)
    urgent: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ReferralStatus] = mapped_column(str_enum(ReferralStatus))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")
