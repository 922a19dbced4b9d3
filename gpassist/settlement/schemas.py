"""Request and response models for settlement."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from gpassist.messages_zh import rule_error
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Str, Text
from gpassist.settlement.policy import Level, Payer, VisitType

MAX_FEN = 10**12  # ten billion yuan: far beyond any bill, far inside BIGINT


class BillLineIn(ApiModel):
    """A catalog drug or service item (price and category from the catalog), or a free line."""

    drug: Annotated[Str, Field(max_length=64)] | None = Field(default=None, description="drug code")
    service: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="service item code"
    )
    description: Annotated[Str, Field(min_length=1, max_length=200)] | None = None
    category: Annotated[Str, Field(max_length=8)] | None = Field(
        default=None, description="insurance category A/B/C (free lines only)"
    )
    quantity: int = Field(ge=1, le=100_000)
    unit_price_fen: int | None = Field(
        default=None, ge=0, le=MAX_FEN, description="free lines only; catalog lines use the catalog"
    )

    @model_validator(mode="after")
    def _one_kind(self) -> BillLineIn:
        catalog = [x for x in (self.drug, self.service) if x is not None]
        if len(catalog) > 1:
            raise rule_error(
                "give drug or service, not both", "每一项只能选药品或诊疗服务之一，不能同时选。"
            )
        if catalog and (self.category is not None or self.unit_price_fen is not None):
            raise rule_error(
                "a catalog line takes its category and price from the catalog",
                "从目录选择的项目按目录的类别和价格收费，不用再填类别和单价。",
            )
        if not catalog and (
            self.description is None or self.category is None or self.unit_price_fen is None
        ):
            raise rule_error(
                "a free line needs description, category and unit_price_fen",
                "目录外的收费项目请填写名称、类别和单价。",
            )
        return self


class BillIn(ApiModel):
    patient_id: DbId
    encounter_id: DbId | None = Field(
        default=None,
        description="the visit billed; drug lines are accepted only as the lines of its issued, "
        "unsettled prescriptions (each prescription whole), so every prescribing rule applied",
    )
    visit_type: VisitType = VisitType.outpatient
    bill_date: dt.date | None = Field(default=None, description="default today (Asia/Shanghai)")
    facility: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="admins: the facility code; a doctor's bill is their clinic's"
    )
    items: list[BillLineIn] = Field(min_length=1, max_length=100)


class ServiceLineIn(ApiModel):
    service: Annotated[Str, Field(max_length=64)] = Field(description="service item code")
    quantity: int = Field(default=1, ge=1, le=1000)


class EncounterBillIn(ApiModel):
    """The visit's one bill: the services named here and every line of the visit's issued,
    unsettled prescriptions, settled together."""

    visit_type: VisitType = VisitType.outpatient
    services: list[ServiceLineIn] = Field(
        default_factory=list, max_length=20, description="the visit's fee and other services"
    )


class ReversalIn(ApiModel):
    reason: Annotated[Str, Field(min_length=2, max_length=500)] = Field(
        description="why the money goes back (kept in the audit log; no patient details)"
    )


class LineOut(OutModel):
    line_no: int
    item_code: str | None
    description: str
    category: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    eligible_fen: int
    self_pay_fen: int = Field(description="the part outside insurance (category C, B's share)")
    patient_fen: int = Field(
        description="what the patient pays of this line (个人支付): its self-pay part and its "
        "share of what the payers left; the lines' patient_fen add up to the receipt's patient_fen"
    )
    insurers_fen: int = Field(description="what the payers pay of this line")


class ShareOut(OutModel):
    payer: Payer
    name: Text
    amount_fen: int


class DiagnosisName(OutModel):
    icd10: str
    zh: str | None
    en: str | None


class ReceiptOut(OutModel):
    """What the patient is handed: each line, each payer's share, what they paid."""

    settlement_id: int
    status: str
    patient_id: int
    patient_name: str
    facility_code: str
    facility_name: Text
    bill_date: dt.date
    visit_type: VisitType
    level: Level
    policy_code: str
    diagnoses: list[DiagnosisName] = Field(
        default_factory=list,
        description="the visit's confirmed diagnoses: the prescription's visit, else the "
        "patient's visits at the clinic on the bill's day",
    )
    lines: list[LineOut]
    total_fen: int
    eligible_fen: int
    shares: list[ShareOut]
    insurers_fen: int
    patient_fen: int
    created_at: LocalDateTime
    reversed_at: LocalDateTime | None
