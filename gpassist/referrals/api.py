"""HTTP: referrals for the village doctor who sent them and the specialist who receives them."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.referrals import service
from gpassist.referrals.letter import referral_letter_html
from gpassist.referrals.present import referral_out
from gpassist.referrals.schemas import CloseIn, ReferralList, ReferralOut, ReferralQuery

bp = Blueprint("referrals", __name__, url_prefix="/api/v1")
TAG = "referrals"
SEE = {Role.village_doctor, Role.specialist, Role.admin}


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
    return ReferralList(items=[referral_out(r) for r in found])


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
    return referral_out(service.visible_referral(request_session(), user, referral_id))


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
    return referral_out(referral)


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
    return referral_letter_html(request_session(), referral, shanghai_today()), {}
