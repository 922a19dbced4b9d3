"""Households, patients and encounters."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Facility
from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from gpassist.labels import LabelledEnum


class Sex(LabelledEnum):
    male = "male", "男", "Male"
    female = "female", "女", "Female"


class PregnancyStatus(enum.StrEnum):
    not_applicable = "not_applicable"
    not_pregnant = "not_pregnant"
    pregnant = "pregnant"
    lactating = "lactating"
    unknown = "unknown"


class Household(Base):
    """A household (户). Poverty registration (建档立卡) is per household."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    head_name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(200))
    poverty_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    poverty_registered_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Patient(Base):
    """A resident registered at one village clinic; only that clinic's doctors see them."""

    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    name_initials: Mapped[str] = mapped_column(String(64), index=True)
    sex: Mapped[Sex] = mapped_column(str_enum(Sex))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    national_id: Mapped[str | None] = mapped_column(String(18), unique=True)
    national_id_tail: Mapped[str | None] = mapped_column(String(4), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    village: Mapped[str] = mapped_column(String(100))
    drug_allergies: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    pregnancy_status: Mapped[PregnancyStatus] = mapped_column(str_enum(PregnancyStatus))
    contract_doctor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    contract_start: Mapped[dt.date | None] = mapped_column(Date)
    contract_end: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    clinic: Mapped[Facility] = relationship(lazy="joined")
    household: Mapped[Household | None] = relationship(lazy="joined")

    @property
    def poverty_registered(self) -> bool:
        return bool(self.household and self.household.poverty_registered)


class Encounter(Base):
    """One visit (就诊): one patient seen at one village clinic by one doctor."""

    __tablename__ = "encounters"
    __table_args__ = (
        CheckConstraint("sbp IS NULL OR (sbp BETWEEN 40 AND 300)", name="sbp_range"),
        CheckConstraint("dbp IS NULL OR (dbp BETWEEN 20 AND 200)", name="dbp_range"),
        # A save sent twice (a double tap, a retry after a dropped link) is one visit.
        UniqueConstraint("doctor_id", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    chief_complaint: Mapped[str] = mapped_column(String(500))
    symptoms: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    sbp: Mapped[int | None] = mapped_column(Integer)
    dbp: Mapped[int | None] = mapped_column(Integer)
    heart_rate: Mapped[int | None] = mapped_column(Integer)
    temperature_c: Mapped[float | None] = mapped_column(Float)
    spo2: Mapped[int | None] = mapped_column(Integer)
    glucose_mmol_l: Mapped[float | None] = mapped_column(Float)
    glucose_fasting: Mapped[bool | None] = mapped_column(Boolean)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    diagnoses: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The Idempotency-Key of the save that recorded it (gpassist.idempotency), and its request.
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))

    patient: Mapped[Patient] = relationship(lazy="joined")
