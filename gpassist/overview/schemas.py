"""Request and response models of the county overview."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field, model_validator

from gpassist.messages_zh import rule_error
from gpassist.schemas import ApiModel, OutModel, Str, Text


class OverviewQuery(ApiModel):
    start: dt.date | None = Field(
        default=None, description="first day; default the 1st of this month"
    )
    end: dt.date | None = Field(default=None, description="last day (inclusive); default today")
    town: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="a town's code; default the whole county"
    )

    @model_validator(mode="after")
    def _order(self) -> OverviewQuery:
        if self.start and self.end and self.end < self.start:
            raise rule_error("end must not be before start", "结束日期不能早于开始日期。")
        return self


class Count(OutModel):
    code: str
    name: Text
    count: int


class PayerAmount(OutModel):
    payer: str
    name: Text
    amount_fen: int


class OverviewOut(OutModel):
    start: dt.date
    end: dt.date
    town: str | None
    settlements: int
    total_fen: int
    insurers_fen: int
    patient_fen: int
    by_payer: list[PayerAmount] = Field(description="every payer, in the order they pay")
    consultations: int
    consultations_by_state: list[Count]
    consultations_by_department: list[Count]
    orders: int
    orders_by_status: list[Count]
    orders_by_town: list[Count]
