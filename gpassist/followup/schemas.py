"""Request and response models for enrolment, follow-ups, worklists and health checks."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, field_validator

from gpassist.followup.definitions import READING_RANGES, ProgramCode, known_symptoms
from gpassist.followup.rules import Classification
from gpassist.followup.tables import EnrolmentStatus, WithdrawReason
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Str, Text

Note = Annotated[Str, Field(max_length=2000)]


def _range(name: str, description: str):
    low, high = READING_RANGES[name]
    return Field(default=None, ge=low, le=high, description=description)


class EnrolIn(ApiModel):
    program: ProgramCode
    enrolled_on: dt.date | None = Field(default=None, description="default: today (Asia/Shanghai)")


class WithdrawIn(ApiModel):
    reason: WithdrawReason
    withdrawn_on: dt.date | None = None


class EnrolmentOut(OutModel):
    id: int
    patient_id: int
    program: str
    program_name: Text
    status: EnrolmentStatus
    enrolled_on: dt.date
    withdrawn_on: dt.date | None
    withdraw_reason: WithdrawReason | None
    next_due: dt.date
    last_follow_up_on: dt.date | None
    last_classification: Classification | None
    last_urgent: bool
    last_referral: bool


class EnrolmentList(OutModel):
    items: list[EnrolmentOut]


class FollowUpIn(ApiModel):
    """One face-to-face follow-up. Readings left out are taken from the linked encounter."""

    encounter_id: DbId | None = Field(
        default=None, description="the visit this follow-up belongs to; created when absent"
    )
    visit_date: dt.date | None = Field(
        default=None, description="without encounter_id: the visit's date (default today)"
    )
    programs: list[ProgramCode] | None = Field(
        default=None, description="default: every program the patient is enrolled in"
    )
    sbp: int | None = _range("sbp", "systolic BP, mmHg")
    dbp: int | None = _range("dbp", "diastolic BP, mmHg")
    fasting_glucose: float | None = _range("fasting_glucose", "mmol/L")
    heart_rate: int | None = _range("heart_rate", "beats/min")
    temperature: float | None = _range("temperature", "°C")
    adverse_reaction: bool = False
    new_complication: bool = Field(default=False, description="a new or worsening complication")
    symptoms: list[Annotated[Str, Field(max_length=40)]] = Field(
        default_factory=list, max_length=30
    )
    medication_changes: Note | None = None
    notes: Note | None = None

    @field_validator("dbp")
    @classmethod
    def _below_systolic(cls, dbp: int | None, info) -> int | None:
        # Checked here, with the field named, so a typo never reaches the rules or the record.
        sbp = info.data.get("sbp")
        if dbp is not None and sbp is not None and dbp >= sbp:
            raise ValueError("dbp must be lower than sbp")
        return dbp

    @field_validator("symptoms")
    @classmethod
    def _known_symptoms(cls, symptoms: list[str]) -> list[str]:
        unknown = sorted(set(symptoms) - known_symptoms())
        if unknown:
            raise ValueError(
                f"unknown symptom code {unknown[0]!r}; known: {', '.join(sorted(known_symptoms()))}"
            )
        return symptoms


class ReferralBrief(OutModel):
    id: int
    department: str
    urgent: bool
    reasons: list[str]


class FollowUpOut(OutModel):
    id: int
    enrolment_id: int
    patient_id: int
    encounter_id: int
    program: str
    visit_date: dt.date
    sbp: float | None
    dbp: float | None
    fasting_glucose: float | None
    heart_rate: float | None
    temperature: float | None
    adverse_reaction: bool
    new_complication: bool
    symptoms: list[str]
    medication_changes: str | None
    notes: str | None
    classification: Classification
    urgent_referral: bool
    referral: bool
    reasons: list[str]
    reason_texts: list[Text]
    next_due: dt.date
    created_at: LocalDateTime
    referral_record: ReferralBrief | None = None


class FollowUpResult(OutModel):
    follow_ups: list[FollowUpOut]


class FollowUpList(OutModel):
    items: list[FollowUpOut]


class WorklistQuery(ApiModel):
    clinic: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="admins: which clinic"
    )
    program: ProgramCode | None = None


class WorklistEntry(OutModel):
    enrolment_id: int
    patient_id: int
    patient_name: str
    age: int
    village: str
    program: str
    next_due: dt.date
    days_overdue: int
    last_follow_up_on: dt.date | None
    last_classification: Classification | None
    last_urgent: bool
    last_sbp: float | None
    last_dbp: float | None
    last_fasting_glucose: float | None


class Worklist(OutModel):
    kind: Literal["due_today", "due_this_week", "overdue", "lost"]
    as_of: dt.date
    items: list[WorklistEntry]


class AnnualCheckIn(ApiModel):
    check_date: dt.date | None = None
    encounter_id: DbId | None = None
    height_cm: float | None = Field(default=None, ge=40, le=250)
    weight_kg: float | None = Field(default=None, ge=2, le=300)
    waist_cm: float | None = Field(default=None, ge=30, le=250)
    findings: Note | None = None
    notes: Note | None = None


class AnnualCheckOut(OutModel):
    id: int
    patient_id: int
    year: int
    check_date: dt.date
    encounter_id: int | None
    findings: dict
    notes: str | None


class CertificationIn(ApiModel):
    disease: ProgramCode
    certified_on: dt.date
    certifying_facility: Annotated[Str, Field(max_length=64)] = Field(
        description="code of the certifying hospital"
    )
    certificate_no: Annotated[Str, Field(max_length=64)] | None = None


class CertificationOut(OutModel):
    id: int
    patient_id: int
    disease: str
    icd10: str
    certified_on: dt.date
    certifying_facility: str
    certificate_no: str | None
    revoked_on: dt.date | None


class CertificationList(OutModel):
    items: list[CertificationOut]
