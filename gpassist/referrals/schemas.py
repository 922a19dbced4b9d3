"""Request and response models for referrals."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from gpassist.referrals.service import ReferralOutcome
from gpassist.referrals.tables import ReferralSource, ReferralStatus
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Page, Str, Text


class ReferralQuery(Page):
    status: ReferralStatus | None = None
    patient_id: DbId | None = Field(default=None, description="one patient's referrals")


class CloseIn(ApiModel):
    outcome: ReferralOutcome
    note: Annotated[Str, Field(max_length=2000)] | None = None


class ReferralOut(OutModel):
    id: int
    patient_id: int
    patient_name: str
    clinic_code: str
    department: str
    department_name: Text
    source: ReferralSource
    source_id: int | None
    urgent: bool
    reasons: list[str]
    reason_texts: list[Text]
    note: str | None
    status: ReferralStatus
    created_at: LocalDateTime
    closed_at: LocalDateTime | None
    outcome: ReferralOutcome | None
    outcome_note: str | None


class ReferralList(OutModel):
    items: list[ReferralOut]
