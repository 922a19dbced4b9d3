"""HTTP: stock, orders, the dispatch board, pick lists, delivery runs, near expiry, reorder hints.

Pharmacists work the central pharmacy and see every order (the prescription's lines, no clinical
notes); a village doctor sees and confirms their own clinic's orders and keeps their clinic's
stock; admins read everything.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from gpassist.auth.tables import Role
from gpassist.db import shanghai_today, utcnow
from gpassist.endpoints import endpoint, request_session
from gpassist.pharmacy import board, orders, present, reports, service, stock
from gpassist.pharmacy.delivery_note import delivery_note_html
from gpassist.pharmacy.schemas import (
    AdjustmentIn,
    BoardOut,
    BoardQuery,
    CancelIn,
    FillOptionsOut,
    LotList,
    LotOut,
    NearExpiryQuery,
    OrderList,
    OrderOut,
    OrderQuery,
    PickIn,
    PickListOut,
    ReceiptIn,
    ReplenishmentOut,
    ReplenishmentQuery,
    ReplenishmentRow,
    RunIn,
    RunList,
    RunOut,
    RunQuery,
    StockQuery,
)
from gpassist.schemas import Text

bp = Blueprint("pharmacy", __name__, url_prefix="/api/v1/pharmacy")
TAG = "pharmacy"
PHARMACIST = {Role.pharmacist}
BOARD_READERS = {Role.pharmacist, Role.admin}
ORDER_READERS = {Role.village_doctor, Role.pharmacist, Role.admin}
STOCK_KEEPERS = {Role.village_doctor, Role.pharmacist}


# --- stock -----------------------------------------------------------------------------------


@endpoint(
    bp,
    "/stock",
    "GET",
    summary="Stock lots of a facility (default: the central pharmacy, or your clinic), "
    "first-expiring first",
    tag=TAG,
    roles=ORDER_READERS,
    query=StockQuery,
    response=LotList,
    errors=(404,),
)
def list_stock(user, query):
    session = request_session()
    facility = service.stock_facility(session, user, query.facility, writing=False)
    lots = service.lots_of(session, facility, query.drug, query.limit, query.offset)
    return LotList(items=[present.lot_out(lot) for lot in lots])


@endpoint(
    bp,
    "/stock/receipts",
    "POST",
    summary="Receive a lot (new, or more of a lot on the shelf)",
    tag=TAG,
    roles=STOCK_KEEPERS,
    body=ReceiptIn,
    response=LotOut,
    status=201,
    errors=(404,),
)
def receive(user, body: ReceiptIn):
    session = request_session()
    facility = service.stock_facility(session, user, body.facility, writing=True)
    drug = service.catalog_drug(session, body.drug, "body.drug")
    lot = stock.receive(
        session, user, facility, drug, body.lot_no, body.expires_on, body.quantity, shanghai_today()
    )
    return present.lot_out(lot)


@endpoint(
    bp,
    "/stock/adjustments",
    "POST",
    summary="Adjust a lot's count with a reason (stocktake, damage, expiry, …)",
    tag=TAG,
    roles=STOCK_KEEPERS,
    body=AdjustmentIn,
    response=LotOut,
    errors=(404, 409),
)
def adjust(user, body: AdjustmentIn):
    session = request_session()
    lot = service.writable_lot(session, user, body.lot_id)
    return present.lot_out(stock.adjust(session, user, lot, body.delta, body.reason, body.note))


@endpoint(
    bp,
    "/near-expiry",
    "GET",
    summary="Lots with stock expiring within `days` (or expired), soonest first",
    tag=TAG,
    roles=ORDER_READERS,
    query=NearExpiryQuery,
    response=LotList,
    errors=(404,),
)
def near_expiry(user, query: NearExpiryQuery):
    session = request_session()
    facility_id = service.report_facility_id(session, user, query.facility)
    lots = reports.near_expiry(session, facility_id, shanghai_today(), query.days)
    return LotList(items=[present.lot_out(lot) for lot in lots])


@endpoint(
    bp,
    "/replenishment",
    "GET",
    summary="Per drug: average daily use over 30 days, days of stock left, reorder below "
    "GPASSIST_PHARMACY_REORDER_DAYS",
    tag=TAG,
    roles=ORDER_READERS,
    query=ReplenishmentQuery,
    response=ReplenishmentOut,
    errors=(404,),
)
def replenishment(user, query: ReplenishmentQuery):
    session = request_session()
    facility = service.stock_facility(session, user, query.facility, writing=False)
    threshold = float(current_app.config["PHARMACY_REORDER_DAYS"])
    rows = reports.replenishment(session, facility, utcnow(), shanghai_today(), threshold)
    if query.reorder_only:
        rows = [r for r in rows if r.reorder]
    return ReplenishmentOut(
        facility=facility.code,
        reorder_below_days=threshold,
        items=[
            ReplenishmentRow(
                drug=r.drug.code,
                drug_name=Text(zh=r.drug.name_zh, en=r.drug.name_en),
                used_30d=r.used_30d,
                average_daily_use=round(r.average_daily_use, 3),
                available=r.available,
                days_left=None if r.days_left is None else round(r.days_left, 1),
                reorder=r.reorder,
            )
            for r in rows
        ],
    )


# --- orders ----------------------------------------------------------------------------------


@endpoint(
    bp,
    "/orders",
    "GET",
    summary="Central-pharmacy orders, newest first (village doctors: their clinic's)",
    tag=TAG,
    roles=ORDER_READERS,
    query=OrderQuery,
    response=OrderList,
)
def list_orders(user, query: OrderQuery):
    session = request_session()
    found = orders.list_orders(
        session,
        user,
        status=query.status,
        clinic_code=query.clinic,
        limit=query.limit,
        offset=query.offset,
        open_only=query.open_only,
    )
    return OrderList(items=present.briefs(session, found))


@endpoint(
    bp,
    "/orders/<id:order_id>",
    "GET",
    summary="An order with its lines, the lots picked and its history",
    tag=TAG,
    roles=ORDER_READERS,
    response=OrderOut,
    errors=(404,),
)
def get_order(user, order_id: int):
    session = request_session()
    return present.order_out(session, orders.visible_order(session, user, order_id))


@endpoint(
    bp,
    "/orders/<id:order_id>/pick",
    "POST",
    summary="Pick an order: reserve each line from the first-expiring lots; short fills and "
    "substitutes need a reason (409 when the stock is not there)",
    tag=TAG,
    roles=PHARMACIST,
    body=PickIn,
    response=OrderOut,
    errors=(404, 409),
)
def pick(user, order_id: int, body: PickIn):
    session = request_session()
    fills = [orders.Fill(f.line_no, f.quantity, f.substitute, f.reason) for f in body.lines]
    order = orders.pick(session, user, order_id, fills, shanghai_today())
    return present.order_out(session, order)


@endpoint(
    bp,
    "/orders/<id:order_id>/fill-options",
    "GET",
    summary="For each line of an order: stock of the drug ordered and of its equivalent "
    "generics (what a short fill or a substitute in /pick may use)",
    tag=TAG,
    roles=BOARD_READERS,
    response=FillOptionsOut,
    errors=(404,),
)
def fill_options(user, order_id: int):
    session = request_session()
    order = orders.visible_order(session, user, order_id)
    return present.fill_options_out(session, order, shanghai_today())


@endpoint(
    bp,
    "/orders/<id:order_id>/cancel",
    "POST",
    summary="Cancel an order before dispatch, with a reason (reserved stock is released)",
    tag=TAG,
    roles=STOCK_KEEPERS,
    body=CancelIn,
    response=OrderOut,
    errors=(404, 409),
)
def cancel(user, order_id: int, body: CancelIn):
    session = request_session()
    return present.order_out(session, orders.cancel(session, user, order_id, body.reason))


@endpoint(
    bp,
    "/orders/<id:order_id>/delivery",
    "POST",
    summary="The receiving clinic confirms the order arrived",
    tag=TAG,
    roles={Role.village_doctor},
    response=OrderOut,
    errors=(404, 409),
)
def confirm_delivery(user, order_id: int):
    session = request_session()
    return present.order_out(session, orders.confirm_delivery(session, user, order_id))


@endpoint(
    bp,
    "/orders/<id:order_id>/pick-up",
    "POST",
    summary="The patient collected the delivered drugs at the clinic (again: no change, 200)",
    tag=TAG,
    roles={Role.village_doctor},
    response=OrderOut,
    errors=(404, 409),
)
def confirm_pick_up(user, order_id: int):
    session = request_session()
    return present.order_out(session, orders.confirm_pick_up(session, user, order_id))


# --- board and runs --------------------------------------------------------------------------


@endpoint(
    bp,
    "/board",
    "GET",
    summary="Dispatch board: pending and picked orders by town, urgent first, free delivery marked",
    tag=TAG,
    roles=BOARD_READERS,
    query=BoardQuery,
    response=BoardOut,
)
def dispatch_board(user, query: BoardQuery):
    return present.board_out(board.dispatch_board(request_session(), query.town))


@endpoint(
    bp,
    "/towns/<code:town>/pick-list",
    "GET",
    summary="Pick list for a town's pending orders: per drug, how many and from which lots",
    tag=TAG,
    roles=BOARD_READERS,
    response=PickListOut,
    errors=(404,),
)
def pick_list(user, town: str):
    session = request_session()
    service.town(session, town)
    return present.pick_list_out(town, board.pick_list(session, town, shanghai_today()))


@endpoint(
    bp,
    "/delivery-runs",
    "POST",
    summary="Create a delivery run for a town: its picked orders are dispatched",
    tag=TAG,
    roles=PHARMACIST,
    body=RunIn,
    response=RunOut,
    status=201,
    errors=(409,),
)
def create_run(user, body: RunIn):
    session = request_session()
    run = orders.create_delivery_run(session, user, body.town)
    return present.run_out(session, run)


@endpoint(
    bp,
    "/delivery-runs",
    "GET",
    summary="Past delivery runs, newest first, each with the link to print its note again",
    tag=TAG,
    roles=BOARD_READERS,
    query=RunQuery,
    response=RunList,
)
def list_runs(user, query: RunQuery):
    session = request_session()
    runs = orders.delivery_runs(session, query.town, query.limit, query.offset)
    return RunList(items=present.run_briefs(session, runs))


@endpoint(
    bp,
    "/delivery-runs/<id:run_id>",
    "GET",
    summary="A delivery run and its orders",
    tag=TAG,
    roles=BOARD_READERS,
    response=RunOut,
    errors=(404,),
)
def get_run(user, run_id: int):
    session = request_session()
    return present.run_out(session, service.get_run(session, run_id))


@endpoint(
    bp,
    "/delivery-runs/<id:run_id>/note.html",
    "GET",
    summary="Printable delivery note of a run (Chinese), one section per clinic",
    tag=TAG,
    roles=BOARD_READERS,
    media_type="text/html",
    errors=(404,),
)
def delivery_note(user, run_id: int):
    session = request_session()
    return delivery_note_html(present.run_out(session, service.get_run(session, run_id))), {}
