"""Request and response models for the pharmacy."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from gpassist.messages_zh import rule_error
from gpassist.pharmacy.states import OrderStatus
from gpassist.pharmacy.tables import AdjustReason, ShortReason
from gpassist.prescriptions.rules import Frequency
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Page, Str, Text

Code = Annotated[Str, Field(min_length=1, max_length=64)]


# --- stock -----------------------------------------------------------------------------------


class ReceiptIn(ApiModel):
    facility: Code | None = Field(
        default=None,
        description="facility code; default: the central pharmacy (pharmacists) or your clinic",
    )
    drug: Code
    lot_no: Annotated[Str, Field(min_length=1, max_length=64)]
    expires_on: dt.date
    quantity: int = Field(ge=1, le=1_000_000)


class AdjustmentIn(ApiModel):
    lot_id: DbId
    delta: int = Field(ge=-1_000_000, le=1_000_000, description="units to add (or remove: < 0)")
    reason: AdjustReason
    note: Annotated[Str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _not_zero(self) -> AdjustmentIn:
        if self.delta == 0:
            raise rule_error("delta must not be 0", "调整数量不能为 0：增加填正数，减少填负数。")
        return self


class LotOut(OutModel):
    id: int
    facility: str
    drug: str
    drug_name: Text
    strength: str
    lot_no: str
    expires_on: dt.date
    on_hand: int
    reserved: int
    available: int


class LotList(OutModel):
    items: list[LotOut]


class StockQuery(Page):
    facility: Code | None = Field(
        default=None, description="default: central pharmacy / your clinic"
    )
    drug: Code | None = None


class NearExpiryQuery(ApiModel):
    facility: Code | None = Field(default=None, description="default: every facility you see")
    days: int = Field(default=90, ge=0, le=3650, description="expiring within this many days")


class ReplenishmentQuery(ApiModel):
    facility: Code | None = Field(default=None, description="default: the central pharmacy")
    reorder_only: bool = False


class ReplenishmentRow(OutModel):
    drug: str
    drug_name: Text
    used_30d: int
    average_daily_use: float
    available: int
    days_left: float | None
    reorder: bool


class ReplenishmentOut(OutModel):
    facility: str
    reorder_below_days: float
    items: list[ReplenishmentRow]


# --- orders ----------------------------------------------------------------------------------


class FillIn(ApiModel):
    line_no: int = Field(ge=1, le=100)
    quantity: int | None = Field(default=None, ge=0, le=100_000, description="default: in full")
    substitute: Code | None = Field(
        default=None, description="an equivalent generic (same group and strength), covered"
    )
    reason: ShortReason | None = None


class PickIn(ApiModel):
    lines: list[FillIn] = Field(
        default_factory=list, max_length=20, description="only the lines not filled in full"
    )


class CancelIn(ApiModel):
    reason: Annotated[Str, Field(min_length=2, max_length=200)]


class RunIn(ApiModel):
    town: Code


class AllocationOut(OutModel):
    lot_no: str
    expires_on: dt.date
    quantity: int


class OrderLineOut(OutModel):
    line_no: int
    drug: str
    drug_name: Text
    strength: str
    quantity: int
    dose: float
    dose_unit: str
    frequency: Frequency
    usage: Text = Field(description="每次 1 片（0.5 g），每日 3 次，共 3 天: as prescribed")
    days: int
    filled_drug: str | None
    filled_quantity: int | None
    short_reason: ShortReason | None
    allocations: list[AllocationOut]


class OrderEventOut(OutModel):
    action: str
    from_status: OrderStatus | None
    to_status: OrderStatus
    by: str
    at: LocalDateTime
    note: str | None


class OrderOut(OutModel):
    """An order as the pharmacy and the clinic see it: the prescription's lines, no clinical
    notes."""

    id: int
    prescription_id: int
    status: OrderStatus
    status_name: Text
    urgent: bool
    free_delivery: bool
    clinic: str
    clinic_name: Text
    town: str
    patient_id: int
    patient_name: str
    delivery_run_id: int | None
    cancel_reason: str | None
    picked_up_at: LocalDateTime | None
    created_at: LocalDateTime
    updated_at: LocalDateTime
    lines: list[OrderLineOut]
    history: list[OrderEventOut]


class OrderQuery(Page):
    status: OrderStatus | None = None
    clinic: Code | None = Field(default=None, description="pharmacists and admins: one clinic")
    open_only: bool = Field(
        default=False,
        description="only orders neither cancelled nor collected by the patient yet",
    )


class OrderBrief(OutModel):
    id: int
    status: OrderStatus
    urgent: bool
    free_delivery: bool
    clinic: str
    clinic_name: Text = Field(description="the village clinic's name (read names, not codes)")
    town_name: Text | None = Field(description="the clinic's town")
    patient_name: str
    created_at: LocalDateTime
    picked_up_at: LocalDateTime | None = Field(
        default=None, description="when the patient collected the drugs (None: not yet)"
    )
    lines: list[BoardLineOut]


class BoardLineOut(OutModel):
    line_no: int
    drug: str = Field(description="the drug sent (a substitute once picked with one)")
    drug_name: Text
    strength: str = Field(description="e.g. 5 mg")
    quantity: int = Field(description="units ordered, or as filled once picked")
    ordered_quantity: int
    substitute_for: Text | None = Field(
        default=None, description="the drug ordered, when an equivalent generic was sent instead"
    )
    short_reason: ShortReason | None = None


class OrderList(OutModel):
    items: list[OrderBrief]


class TownBoard(OutModel):
    town: str
    town_name: Text
    pending: list[OrderBrief] = Field(description="urgent first, then oldest")
    picked: list[OrderBrief] = Field(description="ready for this town's next delivery run")
    free_delivery_count: int


class BoardQuery(ApiModel):
    town: Code | None = Field(default=None, description="one town's orders only")


class BoardOut(OutModel):
    towns: list[TownBoard]
    pending_count: int
    picked_count: int


class PickLotOut(OutModel):
    lot_id: int
    lot_no: str
    expires_on: dt.date
    take: int


class PickItemOut(OutModel):
    drug: str
    drug_name: Text
    strength: str
    quantity: int
    available: int
    short_by: int
    lots: list[PickLotOut]


class PickListOut(OutModel):
    town: str
    items: list[PickItemOut]


class RunOut(OutModel):
    id: int
    town: str
    town_name: Text
    created_by: str
    created_at: LocalDateTime
    orders: list[OrderBrief]


class RunBrief(OutModel):
    """A past delivery run in the list (its note can be printed again)."""

    id: int
    town: str
    town_name: Text
    created_by: str
    created_at: LocalDateTime
    order_count: int
    clinic_names: list[Text]
    note_url: str


class RunList(OutModel):
    items: list[RunBrief]


class RunQuery(Page):
    town: Code | None = None


class SubstituteOut(OutModel):
    drug: str
    drug_name: Text
    strength: str
    available: int = Field(description="units available at the central pharmacy")


class LineOptionsOut(OutModel):
    line_no: int
    drug: str
    drug_name: Text
    strength: str
    quantity: int
    available: int = Field(description="units of the ordered drug available now")
    substitutes: list[SubstituteOut] = Field(
        description="equivalent generics (same group, strength and unit, covered by insurance)"
    )


class FillOptionsOut(OutModel):
    """What the pharmacist may do with each line of a pending order."""

    order_id: int
    lines: list[LineOptionsOut]


OrderBrief.model_rebuild()
