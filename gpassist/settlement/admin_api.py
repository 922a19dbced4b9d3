"""HTTP, admins only: import bills settled at hospitals; reconcile a day's settlements."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint
from pydantic import BaseModel, Field

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import InvalidField, NotFound
from gpassist.schemas import RequestModel
from gpassist.settlement import importer, reconcile

bp = Blueprint("settlement_admin", __name__, url_prefix="/api/v1")
TAG = "settlement"
ADMINS = {Role.admin}


class ImportIn(RequestModel):
    csv: str = Field(
        min_length=1,
        max_length=1_500_000,
        description="The CSV text: header external_ref,facility,patient,bill_date,visit_type,"
        "category,quantity,unit_price_fen,description; one row per line item.",
    )


class ImportedBillOut(BaseModel):
    facility: str
    external_ref: str
    settlement_id: int | None = None


class ImportOut(BaseModel):
    imported: list[ImportedBillOut]
    skipped: list[ImportedBillOut]


class ReconcileQuery(RequestModel):
    date: dt.date
    facility: str | None = Field(default=None, max_length=64)


class TotalOut(BaseModel):
    facility: str
    payer: str
    settled_fen: int
    reversed_fen: int
    net_fen: int


class DifferenceOut(BaseModel):
    check: str
    what: str
    expected: int
    found: int
    settlement_id: int | None
    patient_id: int | None
    year: int | None


class ReconciliationOut(BaseModel):
    date: dt.date
    facility: str | None
    settled_count: int
    reversed_count: int
    totals: list[TotalOut]
    differences: list[DifferenceOut]
    balanced: bool


@endpoint(
    bp,
    "/settlement-imports",
    "POST",
    summary='Import bills settled at hospitals: JSON {"csv": "<CSV text>"}; all or nothing '
    "per file, bills already imported are skipped",
    tag=TAG,
    roles=ADMINS,
    body=ImportIn,
    response=ImportOut,
    status=201,
    errors=(409,),
)
def import_bills(user, body: ImportIn):
    try:
        report = importer.import_csv(request_session(), body.csv, user=user, today=shanghai_today())
    except importer.ImportRefused as exc:
        field = f"body.csv.line{exc.line}" + (f".{exc.column}" if exc.column else "")
        raise InvalidField.at(field, str(exc), zh=f"{exc.where_zh}：{exc.message_zh}") from exc
    return ImportOut(
        imported=[
            ImportedBillOut(facility=f, external_ref=r, settlement_id=i)
            for f, r, i in report.imported
        ],
        skipped=[ImportedBillOut(facility=f, external_ref=r) for f, r in report.skipped],
    )


def _reconcile(query: ReconcileQuery) -> reconcile.Reconciliation:
    try:
        return reconcile.reconcile(request_session(), query.date, query.facility)
    except LookupError as exc:
        raise NotFound(str(exc), detail_zh="没有这个医疗机构，请从列表中重新选择。") from exc


@endpoint(
    bp,
    "/settlement-reconciliations",
    "GET",
    summary="A day's settlements per facility and payer, net of reversals, and the check of "
    "settlements against the ledger journal",
    tag=TAG,
    roles=ADMINS,
    query=ReconcileQuery,
    response=ReconciliationOut,
    errors=(404,),
)
def get_reconciliation(user, query: ReconcileQuery):
    rec = _reconcile(query)
    return ReconciliationOut(
        date=rec.date,
        facility=rec.facility,
        settled_count=rec.settled_count,
        reversed_count=rec.reversed_count,
        totals=[
            TotalOut(
                facility=r.facility,
                payer=r.payer,
                settled_fen=r.settled_fen,
                reversed_fen=r.reversed_fen,
                net_fen=r.net_fen,
            )
            for r in rec.rows
        ],
        differences=[DifferenceOut(**vars(d)) for d in rec.differences],
        balanced=rec.balanced,
    )


@endpoint(
    bp,
    "/settlement-reconciliations/reconciliation.csv",
    "GET",
    summary="A day's totals per facility and payer as CSV (UTF-8 with BOM) for the insurance "
    "office; header X-Reconciliation-Balanced",
    tag=TAG,
    roles=ADMINS,
    query=ReconcileQuery,
    errors=(404,),
    media_type="text/csv",
)
def reconciliation_csv(user, query: ReconcileQuery):
    rec = _reconcile(query)
    name = f"reconciliation-{rec.date}{'-' + rec.facility if rec.facility else ''}.csv"
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Reconciliation-Balanced": "true" if rec.balanced else "false",
    }
    return reconcile.totals_csv(rec), headers
