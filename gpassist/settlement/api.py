"""HTTP: settle a bill at the counter, read its receipt, reverse it."""

from __future__ import annotations

import re
from html import escape

from flask import Blueprint, request

from gpassist.auth.tables import Role
from gpassist.clinics.tables import Facility
from gpassist.db import SHANGHAI, shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import InvalidField
from gpassist.patients.tables import Patient
from gpassist.schemas import Text, text_of
from gpassist.settlement import service
from gpassist.settlement.schemas import BillIn, LineOut, ReceiptOut, ReversalIn, ShareOut
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
            name=Text(zh=service.PAYER_NAMES[s.payer][0], en=service.PAYER_NAMES[s.payer][1]),
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
    return receipt(settlement)


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"


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
    r = receipt(service.visible_settlement(request_session(), user, settlement_id))
    rows = "".join(
        f"<tr><td>{line.line_no}</td><td>{escape(line.description)}</td><td>{line.category}</td>"
        f"<td>{line.quantity}</td><td>{yuan(line.unit_price_fen)}</td>"
        f"<td>{yuan(line.amount_fen)}</td><td>{yuan(line.self_pay_fen)}</td></tr>"
        for line in r.lines
    )
    shares = "".join(
        f"<tr><td>{escape(s.name.zh)}</td><td>{yuan(s.amount_fen)}</td></tr>" for s in r.shares
    )
    status = "" if r.status == "settled" else "<p class=void>已退费（冲正） / reversed</p>"
    printed = r.created_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    page = f"""<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<title>结算单 {r.settlement_id}</title>
<style>body{{font-family:sans-serif;max-width:42em;margin:1em auto}}table{{width:100%;
border-collapse:collapse}}td,th{{border:1px solid #999;padding:.2em .4em}}td:nth-child(n+4)
{{text-align:right}}.void{{color:#b00;font-weight:bold}}
@media print{{button{{display:none}}}}</style>
<h1>{escape(r.facility_name.zh)} 门诊结算单</h1>
<p>结算号 {r.settlement_id} · 患者 {escape(r.patient_name)} · 日期 {r.bill_date} ·
结算时间 {printed} · 政策 {escape(r.policy_code)}</p>{status}
<table><tr><th>#</th><th>项目</th><th>类别</th><th>数量</th><th>单价(元)</th><th>金额(元)</th>
<th>自付(元)</th></tr>{rows}</table>
<h2>费用合计 {yuan(r.total_fen)} 元，其中符合报销范围 {yuan(r.eligible_fen)} 元</h2>
<table><tr><th>支付方</th><th>金额(元)</th></tr>{shares}
<tr><th>各项报销合计</th><th>{yuan(r.insurers_fen)}</th></tr>
<tr><th>个人支付</th><th>{yuan(r.patient_fen)}</th></tr></table>
<button onclick="print()">打印</button></html>"""
    return page, {}
