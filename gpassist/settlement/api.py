"""HTTP: settle a bill at the counter, read its receipt, reverse it."""

from __future__ import annotations

from flask import Blueprint

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, idempotency_key, request_session
from gpassist.settlement import service
from gpassist.settlement.present import receipt
from gpassist.settlement.receipt import receipt_html as printable_receipt
from gpassist.settlement.schemas import BillIn, EncounterBillIn, ReceiptOut, ReversalIn

bp = Blueprint("settlement", __name__, url_prefix="/api/v1")
TAG = "settlement"
CASHIERS = {Role.village_doctor, Role.admin}


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
    return receipt(request_session(), settlement)


@endpoint(
    bp,
    "/encounters/<id:encounter_id>/settlement",
    "POST",
    summary="Settle the visit's one bill: the services named (the consultation fee) and every "
    "line of the visit's issued, unsettled prescriptions, together, one receipt (needs an "
    "Idempotency-Key header; a replay returns the first receipt)",
    tag=TAG,
    roles={Role.village_doctor},
    body=EncounterBillIn,
    response=ReceiptOut,
    status=201,
    errors=(404, 409),
)
def settle_visit(user, encounter_id: int, body: EncounterBillIn):
    key = idempotency_key()
    session = request_session()
    settlement = service.settle_encounter(session, user, encounter_id, body, key, shanghai_today())
    return receipt(session, settlement)


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
    session = request_session()
    return receipt(session, service.visible_settlement(session, user, settlement_id))


@endpoint(
    bp,
    "/settlements/<id:settlement_id>/reversal",
    "POST",
    summary="Refund: reverse every share and ledger change of a settlement, once, with a reason "
    "(the clinic's doctor on the settlement's day; an admin any day)",
    tag=TAG,
    roles=CASHIERS,
    body=ReversalIn,
    response=ReceiptOut,
    errors=(409,),
)
def reverse(user, settlement_id: int, body: ReversalIn):
    settlement = service.reverse_settlement(
        request_session(), user, settlement_id, shanghai_today(), reason=body.reason
    )
    return receipt(request_session(), settlement)


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
    session = request_session()
    settlement = service.visible_settlement(session, user, settlement_id)
    return printable_receipt(receipt(session, settlement)), {}
