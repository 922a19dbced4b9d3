"""HTTP: referrals for the village doctor who sent them and the specialist who receives them."""

from __future__ import annotations

from typing import Annotated

from flask import Blueprint
from pydantic import Field

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.followup.reasons import reason_text
from gpassist.referrals import service
from gpassist.referrals.letter import referral_letter_html
from gpassist.referrals.service import ReferralOutcome
from gpassist.referrals.tables import Referral, ReferralSource, ReferralStatus
from gpassist.schemas import ApiModel, DbId, LocalDateTime, OutModel, Page, Str, Text, text_of

bp = Blueprint("referrals", __name__, url_prefix="/api/v1")
TAG = "referrals"
SEE = {Role.village_doctor, Role.specialist, Role.admin}


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

    @classmethod
    def of(cls, r: Referral) -> ReferralOut:
        return cls(
            id=r.id,
            patient_id=r.patient_id,
            patient_name=r.patient.name,
            clinic_code=r.patient.clinic.code,
            department=f"{r.department.facility.code}/{r.department.code}",
            department_name=text_of(r.department, "name"),
            source=r.source,
            source_id=r.source_id,
            urgent=r.urgent,
            reasons=list(r.reasons),
            reason_texts=[Text(zh=zh, en=en) for zh, en in map(reason_text, r.reasons)],
            note=r.note,
            status=r.status,
            created_at=r.created_at,
            closed_at=r.closed_at,
            outcome=ReferralOutcome(r.outcome) if r.outcome else None,
            outcome_note=r.outcome_note,
        )


class ReferralList(OutModel):
    items: list[ReferralOut]


@endpoint(
    bp,
    "/referrals",
    "GET",
    summary="Referrals: a doctor's clinic's, or a specialist's department's",
    tag=TAG,
    roles=SEE,
    query=ReferralQuery,
    response=ReferralList,
)
def list_referrals(user, query: ReferralQuery):
    found = service.list_referrals(
        request_session(), user, query.status, query.limit, query.offset, query.patient_id
    )
    return ReferralList(items=[ReferralOut.of(r) for r in found])


@endpoint(
    bp,
    "/referrals/<id:referral_id>",
    "GET",
    summary="One referral",
    tag=TAG,
    roles=SEE,
    response=ReferralOut,
)
def get_referral(user, referral_id: int):
    return ReferralOut.of(service.visible_referral(request_session(), user, referral_id))


@endpoint(
    bp,
    "/referrals/<id:referral_id>/close",
    "POST",
    summary="Close a referral with its outcome (receiving specialist)",
    tag=TAG,
    roles={Role.specialist},
    body=CloseIn,
    response=ReferralOut,
    errors=(409,),
)
def close_referral(user, referral_id: int, body: CloseIn):
    referral = service.close_referral(request_session(), user, referral_id, body.outcome, body.note)
    return ReferralOut.of(referral)


@endpoint(
    bp,
    "/referrals/<id:referral_id>/letter.html",
    "GET",
    summary="Printable referral letter (转诊单, Chinese) for the patient to carry",
    tag=TAG,
    roles=SEE,
    media_type="text/html",
)
def referral_letter(user, referral_id: int):
    referral = service.visible_referral(request_session(), user, referral_id)
    return referral_letter_html(referral, shanghai_today()), {}
