"""The dispatch board and the pick list: open orders before dispatch, grouped by town.

The board is a handful of queries whatever its size: the open orders with their patient's name
(one join, plain columns), their lines (IN queries of 1,000 orders), and the clinics, towns and
drugs they name, each loaded once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import Drug, Facility, Town
from gpassist.patients.tables import Patient
from gpassist.pharmacy import stock
from gpassist.pharmacy.states import OrderStatus
from gpassist.pharmacy.tables import OrderLine, PharmacyOrder, StockLot


@dataclass
class BoardLine:
    """One drug line of an order on the dispatch board."""

    line_no: int
    drug: Drug
    quantity: int


@dataclass
class BoardOrder:
    """An order on the dispatch board with its clinic, patient and lines."""

    id: int
    status: OrderStatus
    urgent: bool
    free_delivery: bool
    clinic: Facility
    patient_name: str
    created_at: dt.datetime
    lines: list[BoardLine] = field(default_factory=list)


@dataclass
class TownGroup:
    """A town's column on the dispatch board: orders waiting to be picked and picked ones."""

    town: Town
    pending: list[BoardOrder] = field(default_factory=list)
    picked: list[BoardOrder] = field(default_factory=list)


def board_sort_key(order: BoardOrder) -> tuple:
    """Urgent first, then the oldest."""
    return (not order.urgent, order.created_at, order.id)


def dispatch_board(session: Session, town_code: str | None = None) -> list[TownGroup]:
    """Pending and picked orders by town (towns in code order), urgent first within each."""
    # Plain columns, not mapped orders: the board may hold thousands of orders, and building
    # (and then discarding) an ORM object graph for each would cost most of the time.
    query = (
        select(
            PharmacyOrder.id,
            PharmacyOrder.status,
            PharmacyOrder.urgent,
            PharmacyOrder.free_delivery,
            PharmacyOrder.clinic_id,
            PharmacyOrder.town_id,
            PharmacyOrder.created_at,
            Patient.name,
        )
        .join(Patient, PharmacyOrder.patient_id == Patient.id)
        .where(PharmacyOrder.status.in_([OrderStatus.pending, OrderStatus.picked]))
    )
    if town_code is not None:
        query = query.join(Town, PharmacyOrder.town_id == Town.id).where(Town.code == town_code)
    rows = session.execute(query).all()
    clinics = _by_id(session, Facility, {row.clinic_id for row in rows})
    towns = _by_id(session, Town, {row.town_id for row in rows})
    groups: dict[int, TownGroup] = {}
    cards: dict[int, BoardOrder] = {}
    for order_id, status, urgent, free, clinic_id, town_id, created_at, patient_name in rows:
        card = BoardOrder(
            order_id, status, urgent, free, clinics[clinic_id], patient_name, created_at
        )
        cards[order_id] = card
        group = groups.setdefault(town_id, TownGroup(towns[town_id]))
        (group.pending if status == OrderStatus.pending else group.picked).append(card)
    _attach_lines(session, cards)
    for group in groups.values():
        group.pending.sort(key=board_sort_key)
        group.picked.sort(key=board_sort_key)
    return sorted(groups.values(), key=lambda g: g.town.code)


def _by_id(session: Session, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {obj.id: obj for obj in session.scalars(select(model).where(model.id.in_(ids)))}


def _attach_lines(session: Session, cards: dict[int, BoardOrder]) -> None:
    if not cards:
        return
    ids = list(cards)
    found = []
    for start in range(0, len(ids), 1000):  # keep the IN list within every backend's limits
        chunk = ids[start : start + 1000]
        found += session.execute(
            select(OrderLine.order_id, OrderLine.line_no, OrderLine.drug_id, OrderLine.quantity)
            .where(OrderLine.order_id.in_(chunk))
            .order_by(OrderLine.order_id, OrderLine.line_no)
        ).all()
    drugs = _by_id(session, Drug, {row.drug_id for row in found})
    for order_id, line_no, drug_id, quantity in found:
        cards[order_id].lines.append(BoardLine(line_no, drugs[drug_id], quantity))


@dataclass
class PickItem:
    """One drug of a town's pick list: how much is asked, available, and from which lots."""

    drug: Drug
    quantity: int  # asked by the town's pending orders
    available: int  # at the central pharmacy
    lots: list[tuple[StockLot, int]]  # where to take it from, first-expiring first


def pick_list(session: Session, town_code: str, today: dt.date) -> list[PickItem]:
    """What to take off the shelves for a town's pending orders, drug by drug."""
    pharmacy = stock.central_pharmacy(session)
    totals: dict[int, tuple[Drug, int]] = {}
    for group in dispatch_board(session, town_code):
        for order in group.pending:
            for line in order.lines:
                drug, q = totals.get(line.drug.id, (line.drug, 0))
                totals[line.drug.id] = (drug, q + line.quantity)
    items = []
    for drug, quantity in sorted(totals.values(), key=lambda t: t[0].code):
        lots = stock.usable_lots(session, pharmacy.id, drug.id, today)
        plan = []
        left = quantity
        for lot in lots:
            if left <= 0:
                break
            take = min(lot.on_hand - lot.reserved, left)
            plan.append((lot, take))
            left -= take
        items.append(
            PickItem(drug, quantity, sum(lot.on_hand - lot.reserved for lot in lots), plan)
        )
    return items
