"""HTTP: settle a bill at the counter, read its receipt, reverse it."""

from __future__ import annotations

import re

from flask import Blueprint, request

from gpassist.auth.tables import Role
from gpassist.clinics.tables import Facility
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import InvalidField
from gpassist.patients.tables import Patient
from gpassist.schemas import label_text, text_of
from gpassist.settlement import service
from gpassist.settlement.receipt import receipt_html as printable_receipt
from gpassist.settlement.schemas import BillIn, LineOut, ReceiptOut, ShareOut
from gpassist.settlement.tables import Settlement

bp = Blueprint("settlement", __name__, url_prefix="/api/v1")
TAG = "settlement"
CASHIERS = {Role.village_doctor, Role.admin}
_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "")
    if not _KEY.match(key):
        raise InvalidField.at(
            "header.Idempotency-Key",
            "Send an Idempotency-Key header (8–128 letters, digits, _ . : -), new for each bill.",
            "missing",
        )
    return key


def receipt(settlement: Settlement) -> ReceiptOut:
    bill = settlement.bill
    session = request_session()
    facility = session.get(Facility, settlement.facility_id)
    patient = session.get(Patient, settlement.patient_id)
    assert facility is not None and patient is not None
    shares = [
        ShareOut(
            payer=s.payer,
            name=label_text(s.payer),
            amount_fen=s.amount_fen,
        )
        for s in settlement.shares
    ]
    return ReceiptOut(
        settlement_id=settlement.id,
        status=settlement.status.value,
        patient_id=patient.id,
        patient_name=patient.name,
        facility_code=facility.code,
        facility_name=text_of(facility, "name"),
        bill_date=bill.bill_date,
        visit_type=bill.visit_type,
        level=bill.level,
        policy_code=settlement.policy_code,
        lines=[LineOut.model_validate(line) for line in bill.lines],
        total_fen=bill.total_fen,
        eligible_fen=bill.eligible_fen,
        shares=shares,
        insurers_fen=sum(s.amount_fen for s in shares),
        patient_fen=settlement.patient_fen,
        created_at=settlement.created_at,
        reversed_at=settlement.reversed_at,
    )


@endpoint(
    bp,
    "/settlements",
    "POST",
    summary="Settle a bill in one step (needs an Idempotency-Key header; a replay returns the "
    "first result)",
    tag=TAG,
    roles=CASHIERS,
    body=BillIn,
    response=ReceiptOut,
    status=201,
    errors=(404, 409),
)
def settle(user, body: BillIn):
    key = idempotency_key()
    settlement, _new = service.settle_bill(request_session(), user, body, key, shanghai_today())
    return receipt(settlement)


@endpoint(
    bp,
    "/settlements/<id:settlement_id>",
    "GET",
    summary="A settlement's receipt",
    tag=TAG,
    roles=CASHIERS,
    response=ReceiptOut,
)
def get_settlement(user, settlement_id: int):
    return receipt(service.visible_settlement(request_session(), user, settlement_id))


@endpoint(
    bp,
    "/settlements/<id:settlement_id>/reversal",
    "POST",
    summary="Refund: reverse every share and ledger change of a settlement, once",
    tag=TAG,
    roles=CASHIERS,
    response=ReceiptOut,
    errors=(409,),
)
def reverse(user, settlement_id: int):
    settlement = service.reverse_settlement(
        request_session(), user, settlement_id, shanghai_today()
    )
    return receipt(settlement)


@endpoint(
    bp,
    "/settlements/<id:settlement_id>/receipt.html",
    "GET",
    summary="Printable receipt (Chinese)",
    tag=TAG,
    roles=CASHIERS,
    media_type="text/html",
)
def receipt_html(user, settlement_id: int):
    settlement = service.visible_settlement(request_session(), user, settlement_id)
    return printable_receipt(receipt(settlement)), {}
