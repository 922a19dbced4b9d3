"""Request and response models for prescriptions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from gpassist.clinics.schemas import DoseFormOut
from gpassist.prescriptions.rules import Frequency
from gpassist.prescriptions.tables import LineSource
from gpassist.schemas import ApiModel, LocalDateTime, OutModel, Str, Text
from gpassist.settlement.policy import VisitType

Code = Annotated[Str, Field(min_length=1, max_length=64)]


class LineIn(ApiModel):
    drug: Code = Field(description="catalog drug code")
    dose_count: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        allow_inf_nan=False,
        description="per administration, in the product's dose form (1 片, 0.5 片, 10 ml); "
        "give this or dose",
    )
    dose: float | None = Field(
        default=None,
        gt=0,
        le=1_000_000,
        allow_inf_nan=False,
        description="per administration, in the drug's dose_unit (mg …); give this or dose_count",
    )
    frequency: Frequency
    days: int = Field(ge=1, le=366)
    quantity: int | None = Field(
        default=None,
        ge=1,
        le=100_000,
        description="dispensing units; default: what the dose, frequency and days need",
    )
    instructions: Annotated[Str, Field(max_length=200)] | None = Field(
        default=None, description="e.g. 饭后服 / after meals"
    )

    @model_validator(mode="after")
    def _one_dose(self) -> LineIn:
        if (self.dose is None) == (self.dose_count is None):
            raise PydanticCustomError(
                "one_dose",
                "Give the dose either as dose_count (in the product's unit) or as dose (in its "
                "dose unit), not both.",
            )
        return self


class PrescriptionIn(ApiModel):
    lines: list[LineIn] = Field(min_length=1, max_length=20)
    weight_kg: float | None = Field(
        default=None,
        gt=0,
        le=400,
        allow_inf_nan=False,
        description="the patient's weight today; default the visit's recorded weight",
    )
    long_prescription_reason: Annotated[Str, Field(min_length=2, max_length=500)] | None = None
    urgent: bool = Field(default=False, description="the central pharmacy delivers it first")
    acknowledged_cautions: list[Code] = Field(
        default_factory=list,
        max_length=20,
        description="codes of warn-level cautions (慎用) the doctor has seen and accepts; "
        "refuse-level ones cannot be acknowledged",
    )


class LineOut(OutModel):
    line_no: int
    drug: str
    drug_name: Text
    strength: str
    dose: float
    dose_unit: str
    dose_count: float = Field(description="per administration, in dose_form")
    dose_form: Text = Field(description="the unit a dose is counted in: 片, 粒, ml …")
    frequency: Frequency
    frequency_label: Text
    usage: Text = Field(description="每次 1 片（0.5 g），每日 3 次，共 3 天")
    days: int
    quantity: int
    unit: Text
    unit_price_fen: int
    amount_fen: int
    insurance_category: str
    source: LineSource
    instructions: str | None


class PrescriptionOut(OutModel):
    id: int
    encounter_id: int
    patient_id: int
    clinic: str
    doctor_id: int
    issued_on: dt.date
    weight_kg: float | None
    long_prescription_reason: str | None
    urgent: bool
    total_fen: int
    lines: list[LineOut]
    pharmacy_order_id: int | None = Field(description="the central-pharmacy order, if any")
    settlement_id: int | None
    created_at: LocalDateTime


class PrescriptionList(OutModel):
    items: list[PrescriptionOut]


class PrescriptionSettleIn(ApiModel):
    visit_type: VisitType = VisitType.outpatient
    services: list[Code] = Field(
        default_factory=list, max_length=10, description="service item codes billed with it"
    )


class MedicineQuery(ApiModel):
    codes: Annotated[Str, Field(min_length=1, max_length=2000)] = Field(
        description="catalog drug codes, comma-separated, in the order suggested"
    )


class RuleNote(OutModel):
    code: str
    caution: str | None = Field(description="the warn-level caution to acknowledge, if any")
    zh: str
    en: str


class UsualLine(OutModel):
    dose: float
    dose_count: float = Field(description="per administration, in the product's dose form")
    frequency: Frequency
    frequency_label: Text
    days: int
    quantity: int


class MedicineOptionOut(OutModel):
    code: str
    in_catalog: bool
    name: Text
    form: Text | None
    strength: str | None
    dose_unit: str | None
    unit: Text | None
    dose_form: DoseFormOut | None
    kind: str | None
    where: str = Field(description="clinic: on the shelf here; central: the central pharmacy")
    in_formulary: bool
    on_hand: int = Field(description="units the clinic can dispense today")
    line: UsualLine | None = Field(description="the label's usual dose; None when not recorded")
    prescribable: bool = Field(description="no refusal (warnings need an acknowledgement)")
    refusals: list[RuleNote]
    warnings: list[RuleNote]


class MedicineOptionsOut(OutModel):
    encounter_id: int
    items: list[MedicineOptionOut]


class CurrentMedicineOut(OutModel):
    drug: str
    drug_name: Text
    strength: str
    dose_unit: str
    dose_form: DoseFormOut
    dose: float
    dose_count: float
    frequency: Frequency
    frequency_label: Text
    days: int
    usage: Text
    last_prescribed_on: dt.date
    in_formulary: bool = Field(description="the clinic stocks it (dispensed here when on hand)")
    why: Text = Field(description="长期处方, or the program whose medicine it is")


class CurrentMedicinesOut(OutModel):
    patient_id: int
    items: list[CurrentMedicineOut]


class CheckedLine(OutModel):
    drug: str
    dose: float
    dose_count: float
    dose_form: Text
    frequency: Frequency
    frequency_label: Text
    days: int
    quantity: int
    unit: Text
    usage: Text
    amount_fen: int


class CheckRefusal(OutModel):
    field: str
    code: str
    message: str
    message_zh: str
    caution: str | None = Field(description="the warn-level caution to acknowledge, if any")


class PrescriptionCheckOut(OutModel):
    ok: bool = Field(description="no refusal: issuing these lines now would succeed")
    lines: list[CheckedLine]
    refusals: list[CheckRefusal]
