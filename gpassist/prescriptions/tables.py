"""Prescriptions and their lines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Drug
from gpassist.db import Base, BigId, UTCDateTime, str_enum, utcnow
from gpassist.labels import LabelledEnum
from gpassist.prescriptions.rules import Frequency


class LineSource(LabelledEnum):
    # dispensed from the clinic's own stock at the visit
    clinic = "clinic", "本卫生室已发药", "Dispensed at this clinic"
    # ordered from the county central pharmacy, delivered to the clinic
    central = "central", "县中心药房配送至本卫生室", "Delivered by the county central pharmacy"


class Prescription(Base):
    """A prescription (处方) written on one encounter."""

    __tablename__ = "prescriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    weight_kg: Mapped[float | None] = mapped_column(Float)
    long_prescription_reason: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[PrescriptionLine]] = relationship(
        order_by="PrescriptionLine.line_no", lazy="selectin"
    )


class PrescriptionLine(Base):
    __tablename__ = "prescription_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    dose: Mapped[float] = mapped_column(Float)
    frequency: Mapped[Frequency] = mapped_column(str_enum(Frequency))
    days: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    source: Mapped[LineSource] = mapped_column(str_enum(LineSource))
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    instructions: Mapped[str | None] = mapped_column(String(200))

    drug: Mapped[Drug] = relationship(lazy="joined")
