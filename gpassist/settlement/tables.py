"""Payer policies, bills, settlements with their payer shares, the yearly ledger and its journal."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from gpassist.labels import LabelledEnum
from gpassist.settlement.policy import Level, Payer, VisitType


class BillSource(enum.StrEnum):
    counter = "counter"  # settled here, at the clinic's counter
    imported = "imported"  # settled at a hospital; recorded so the year's totals are complete


class SettlementStatus(LabelledEnum):
    settled = "settled", "已结算", "Settled"
    reversed = "reversed", "已退费（冲正）", "Reversed"


class PayerPolicy(Base):
    """One version of the county's payer policy, loaded from its ``policies/*.yaml`` file.

    ``document`` is the validated policy (``Policy.model_dump(mode="json")``); a bill is settled
    under the active version with the latest ``effective_from`` on or before its date. Versions
    that disappear from the county folder are deactivated, not deleted: settlements name them.
    """

    __tablename__ = "settlement_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    document: Mapped[dict] = mapped_column(JsonDoc)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Bill(Base):
    __tablename__ = "settlement_bills"
    __table_args__ = (UniqueConstraint("facility_id", "external_ref"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    bill_date: Mapped[dt.date] = mapped_column(Date)
    visit_type: Mapped[VisitType] = mapped_column(str_enum(VisitType))
    level: Mapped[Level] = mapped_column(str_enum(Level))
    source: Mapped[BillSource] = mapped_column(str_enum(BillSource))
    external_ref: Mapped[str | None] = mapped_column(String(64))
    total_fen: Mapped[int] = mapped_column(BigInteger)
    eligible_fen: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[BillLine]] = relationship(order_by="BillLine.line_no", lazy="selectin")


class BillLine(Base):
    __tablename__ = "settlement_bill_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("settlement_bills.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    item_code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    eligible_fen: Mapped[int] = mapped_column(BigInteger)
    self_pay_fen: Mapped[int] = mapped_column(BigInteger)


class Settlement(Base):
    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("idempotency_user_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("settlement_bills.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    settled_on: Mapped[dt.date] = mapped_column(Date, index=True)
    policy_code: Mapped[str] = mapped_column(String(64))
    patient_fen: Mapped[int] = mapped_column(BigInteger)
    # The visit this bill is for (one bill per visit: its fee and its prescriptions' drugs).
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id"), index=True)
    status: Mapped[SettlementStatus] = mapped_column(str_enum(SettlementStatus))
    idempotency_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    reversed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reversed_on: Mapped[dt.date | None] = mapped_column(Date)
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    bill: Mapped[Bill] = relationship(lazy="joined")
    shares: Mapped[list[SettlementShare]] = relationship(
        order_by="SettlementShare.id", lazy="selectin"
    )


class SettlementShare(Base):
    __tablename__ = "settlement_shares"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    payer: Mapped[Payer] = mapped_column(str_enum(Payer))
    amount_fen: Mapped[int] = mapped_column(BigInteger)


class Ledger(Base):
    """One patient's accumulators for one calendar year; changed only with a journal entry."""

    __tablename__ = "settlement_ledgers"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    basic_outpatient: Mapped[int] = mapped_column(BigInteger, default=0)
    basic_chronic_outpatient: Mapped[int] = mapped_column(BigInteger, default=0)
    basic_inpatient: Mapped[int] = mapped_column(BigInteger, default=0)
    chronic_deductible: Mapped[int] = mapped_column(BigInteger, default=0)
    serious_illness_base: Mapped[int] = mapped_column(BigInteger, default=0)
    medical_assistance: Mapped[int] = mapped_column(BigInteger, default=0)
    safety_net_351_base: Mapped[int] = mapped_column(BigInteger, default=0)


class JournalEntry(Base):
    """Append-only: every change of a ledger accumulator, with the settlement that made it."""

    __tablename__ = "settlement_journal"
    __table_args__ = (Index("ix_settlement_journal_patient_year", "patient_id", "year"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    year: Mapped[int] = mapped_column(Integer)
    accumulator: Mapped[str] = mapped_column(String(32))
    delta_fen: Mapped[int] = mapped_column(BigInteger)
    reversal: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
