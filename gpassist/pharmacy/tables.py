"""Stock lots and their movements (central pharmacy and clinics), orders, delivery runs."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Drug, Facility, Town
from gpassist.db import Base, BigId, UTCDateTime, str_enum, utcnow
from gpassist.pharmacy.states import OrderStatus


class MovementKind(enum.StrEnum):
    received = "received"
    adjusted = "adjusted"
    dispensed = "dispensed"  # handed out at a clinic with its prescription
    reserved = "reserved"  # picked for an order: still on the shelf, no longer available
    released = "released"  # a picked order cancelled: the reservation returns
    dispatched = "dispatched"  # left the central pharmacy in a delivery run


class AdjustReason(enum.StrEnum):
    count_correction = "count_correction"  # 盘点差异
    damaged = "damaged"
    expired = "expired"
    returned = "returned"
    other = "other"


class ShortReason(enum.StrEnum):
    out_of_stock = "out_of_stock"
    substituted = "substituted"  # an equivalent generic that is still covered


class StockLot(Base):
    """A lot (批次) of one drug at one facility. Available = on_hand − reserved, never below 0."""

    __tablename__ = "stock_lots"
    __table_args__ = (
        UniqueConstraint("facility_id", "drug_id", "lot_no"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0 AND reserved <= on_hand", name="reserved_within_on_hand"),
        Index("ix_stock_lots_pick", "facility_id", "drug_id", "expires_on"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    lot_no: Mapped[str] = mapped_column(String(64))
    expires_on: Mapped[dt.date] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(Integer)
    reserved: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    drug: Mapped[Drug] = relationship(lazy="joined")
    facility: Mapped[Facility] = relationship(lazy="joined")


class StockMovement(Base):
    """Append-only: every change of a lot's on-hand or reserved count, with who and why."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_use", "facility_id", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lots.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    kind: Mapped[MovementKind] = mapped_column(str_enum(MovementKind))
    on_hand_delta: Mapped[int] = mapped_column(Integer)
    reserved_delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[AdjustReason | None] = mapped_column(str_enum(AdjustReason))
    note: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("pharmacy_orders.id"))
    prescription_line_id: Mapped[int | None] = mapped_column(ForeignKey("prescription_lines.id"))
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRun(Base):
    """One trip of the delivery van to one town (配送批次)."""

    __tablename__ = "delivery_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    town: Mapped[Town] = relationship(lazy="joined")


class PharmacyOrder(Base):
    """A central-pharmacy order: one patient's lines the clinic could not dispense."""

    __tablename__ = "pharmacy_orders"
    __table_args__ = (Index("ix_pharmacy_orders_board", "status", "town_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    prescription_id: Mapped[int] = mapped_column(ForeignKey("prescriptions.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    town_id: Mapped[int] = mapped_column(ForeignKey("towns.id"))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    free_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_run_id: Mapped[int | None] = mapped_column(ForeignKey("delivery_runs.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    picked_up_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.line_no", lazy="selectin")
    clinic: Mapped[Facility] = relationship(lazy="joined")


class OrderLine(Base):
    __tablename__ = "pharmacy_order_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_orders.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    prescription_line_id: Mapped[int] = mapped_column(ForeignKey("prescription_lines.id"))
    drug_id: Mapped[int] = mapped_column(ForeignKey("drugs.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    filled_drug_id: Mapped[int | None] = mapped_column(ForeignKey("drugs.id"))
    filled_quantity: Mapped[int | None] = mapped_column(Integer)
    short_reason: Mapped[ShortReason | None] = mapped_column(str_enum(ShortReason))

    drug: Mapped[Drug] = relationship(foreign_keys=[drug_id], lazy="joined")
    filled_drug: Mapped[Drug | None] = relationship(foreign_keys=[filled_drug_id], lazy="joined")


class Allocation(Base):
    """Units of one order line reserved from one lot at pick; taken off the shelf at dispatch."""

    __tablename__ = "pharmacy_allocations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_order_lines.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lots.id"))
    quantity: Mapped[int] = mapped_column(Integer)

    lot: Mapped[StockLot] = relationship(lazy="joined")


class OrderEvent(Base):
    """The order's history: every status change (and the patient's pick-up), when and by whom."""

    __tablename__ = "pharmacy_order_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("pharmacy_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[OrderStatus | None] = mapped_column(str_enum(OrderStatus))
    to_status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus))
    note: Mapped[str | None] = mapped_column(String(200))
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
