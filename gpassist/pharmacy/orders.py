"""Central-pharmacy orders: created from a prescription, picked, dispatched in a town's delivery
run, delivered to the clinic and collected by the patient; or cancelled before dispatch.

Each status change is a conditional UPDATE (``WHERE status = <the status it leaves>``), so two
people acting on one order at once cannot both succeed; the loser gets a 409. Every change writes
an ``OrderEvent`` (who, when, from, to) and queues a Socket.IO event sent after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from gpassist.auth.tables import Role, User
from gpassist.clinics.schemas import InsuranceCategory
from gpassist.clinics.tables import Drug, Facility, Town
from gpassist.db import SHANGHAI, utcnow
from gpassist.errors import Conflict, Forbidden, InvalidField, NotFound
from gpassist.patients.tables import Patient
from gpassist.pharmacy import events, stock
from gpassist.pharmacy.states import (
    Action,
    IllegalTransition,
    OrderStatus,
    illegal_transition_zh,
    next_status,
)
from gpassist.pharmacy.tables import (
    Allocation,
    DeliveryRun,
    OrderEvent,
    OrderLine,
    PharmacyOrder,
    ShortReason,
)
from gpassist.prescriptions.tables import PrescriptionLine

ORDERS = PharmacyOrder.__table__


def order_summary(order: PharmacyOrder) -> dict:
    """What a socket event carries: enough to place the order on a board, no clinical notes."""
    return {
        "id": order.id,
        "status": order.status.value,
        "clinic": order.clinic.code,
        "town_id": order.town_id,
        "urgent": order.urgent,
        "free_delivery": order.free_delivery,
        "updated_at": order.updated_at.astimezone(SHANGHAI).isoformat(),
    }


def create_order(
    session: Session,
    user: User,
    prescription_id: int,
    patient: Patient,
    clinic: Facility,
    lines: Sequence[PrescriptionLine],
    urgent: bool,
) -> PharmacyOrder:
    """One order for the lines the clinic cannot dispense, delivered to ``clinic``."""
    if clinic.town_id is None:
        raise InvalidField.at(
            "body.lines",
            "The clinic has no town: the van cannot reach it.",
            zh="本卫生室没有登记所属乡镇，配送车送不到，暂时不能向中心药房订药。请联系管理员补登乡镇。",
        )
    order = PharmacyOrder(
        prescription_id=prescription_id,
        patient_id=patient.id,
        clinic_id=clinic.id,
        town_id=clinic.town_id,
        status=OrderStatus.pending,
        urgent=urgent,
        free_delivery=patient.poverty_registered,  # 建档立卡 households: delivered free
    )
    session.add(order)
    session.flush()
    for no, line in enumerate(lines, start=1):
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=no,
                prescription_line_id=line.id,
                drug_id=line.drug_id,
                quantity=line.quantity,
            )
        )
    session.add(
        OrderEvent(
            order_id=order.id,
            action=Action.create.value,
            from_status=None,
            to_status=OrderStatus.pending,
            by_id=user.id,
            at=order.created_at,
        )
    )
    session.flush()
    session.refresh(order)
    events.notify(session, "order.created", order_summary(order), order.clinic_id)
    return order


def visible_order(session: Session, user: User, order_id: int) -> PharmacyOrder:
    """The order if ``user`` may see it: pharmacists and admins all, a village doctor their
    clinic's; anyone else (or another clinic's order) gets 404."""
    order = session.get(PharmacyOrder, order_id)
    if order is None or not _may_see(user, order.clinic_id):
        raise NotFound(
            f"No pharmacy order {order_id}.", detail_zh="没有找到这张药房订单，或您无权查看。"
        )
    return order


def _may_see(user: User, clinic_id: int) -> bool:
    if user.role in (Role.pharmacist, Role.admin):
        return True
    return user.role == Role.village_doctor and user.clinic_id == clinic_id


def _transition(
    session: Session, user: User, order: PharmacyOrder, action: Action, note: str | None = None
) -> None:
    """Move ``order`` by ``action`` if it is still in the status we read; 409 otherwise."""
    before = order.status
    try:
        after = next_status(before, action)
    except IllegalTransition as exc:
        raise Conflict(
            str(exc), detail_zh=illegal_transition_zh(before, action), status_now=before.value
        ) from exc
    now = utcnow()
    changed = session.execute(
        update(ORDERS)
        .where(ORDERS.c.id == order.id, ORDERS.c.status == before.value)
        .values(status=after.value, updated_at=now)
    ).rowcount
    if changed != 1:
        session.refresh(order)
        raise Conflict(
            f"Order {order.id} was changed by someone else at the same moment (now "
            f"{order.status.value}); reload it.",
            detail_zh=f"这张订单刚被他人处理（现在{order.status.zh}），请刷新后再看。",
            status_now=order.status.value,
        )
    session.add(
        OrderEvent(
            order_id=order.id,
            action=action.value,
            from_status=before,
            to_status=after,
            note=note,
            by_id=user.id,
            at=now,
        )
    )
    session.flush()
    session.refresh(order)
    events.notify(session, "order.status", order_summary(order), order.clinic_id)


# --- picking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    """How the pharmacist fills one order line (default: in full, with the drug ordered)."""

    line_no: int
    quantity: int | None = None
    substitute: str | None = None
    reason: ShortReason | None = None


def pick(
    session: Session, user: User, order_id: int, fills: Sequence[Fill], today: dt.date
) -> PharmacyOrder:
    """Reserve every line's units from the first-expiring lots and mark the order picked."""
    order = visible_order(session, user, order_id)
    if order.status != OrderStatus.pending:
        _transition(session, user, order, Action.pick)  # raises the clear 409
    pharmacy = stock.central_pharmacy(session)
    plan = _fill_plan(session, order, fills)
    if not any(q for _line, _drug, q, _r in plan):
        raise InvalidField.at(
            "body.lines",
            "Nothing would be sent; cancel the order (reason: out of stock) instead.",
            zh="每一项的发药数量都是 0，没有可配送的药。如果都缺货，请取消订单（原因：缺货）。",
        )
    short = any(reason is not None for *_rest, reason in plan)
    # The status first: its conditional UPDATE makes a second picker of this order wait or fail.
    _transition(session, user, order, Action.pick, "short fill" if short else None)
    for line, drug, quantity, reason in plan:
        line.filled_drug_id = drug.id
        line.filled_quantity = quantity
        line.short_reason = reason
        if quantity == 0:
            continue
        takes = stock.reserve_fefo(
            session, user, pharmacy, drug, quantity, today, order_id=order.id
        )
        for take in takes:
            session.add(
                Allocation(order_line_id=line.id, lot_id=take.lot_id, quantity=take.quantity)
            )
    session.flush()
    return order


def _fill_plan(
    session: Session, order: PharmacyOrder, fills: Sequence[Fill]
) -> list[tuple[OrderLine, Drug, int, ShortReason | None]]:
    by_no = {line.line_no: line for line in order.lines}
    given: dict[int, Fill] = {}
    for i, fill in enumerate(fills):
        field = f"body.lines.{i}"
        if fill.line_no not in by_no:
            raise InvalidField.at(
                f"{field}.line_no",
                f"Order {order.id} has no line {fill.line_no}.",
                zh=f"这张订单没有第 {fill.line_no} 项，请刷新订单后重新配药。",
            )
        if fill.line_no in given:
            raise InvalidField.at(
                f"{field}.line_no",
                f"Line {fill.line_no} is given twice.",
                zh=f"第 {fill.line_no} 项填写了两次，每项只填一次。",
            )
        given[fill.line_no] = fill
    plan = []
    for i, fill in enumerate(fills):
        line = by_no[fill.line_no]
        plan.append((line, *_one_fill(session, line, fill, f"body.lines.{i}")))
    for line in order.lines:
        if line.line_no not in given:
            plan.append((line, line.drug, line.quantity, None))
    plan.sort(key=lambda p: p[0].line_no)
    return plan


def _one_fill(
    session: Session, line: OrderLine, fill: Fill, field: str
) -> tuple[Drug, int, ShortReason | None]:
    quantity = line.quantity if fill.quantity is None else fill.quantity
    if quantity > line.quantity:
        raise InvalidField.at(
            f"{field}.quantity",
            f"Line {line.line_no} ordered {line.quantity}; no more is sent.",
            zh=f"第 {line.line_no} 项只订了 {line.quantity}，发药数量不能超过订购数量。",
        )
    drug = line.drug
    reason = fill.reason
    if fill.substitute is not None:
        drug = _substitute(session, line.drug, fill.substitute, f"{field}.substitute")
        if reason not in (None, ShortReason.substituted):
            raise InvalidField.at(
                f"{field}.reason",
                "A substitute's reason is 'substituted'.",
                zh="换用替代药时，原因请选“替代”。",
            )
        reason = ShortReason.substituted
    elif quantity < line.quantity and reason != ShortReason.out_of_stock:
        raise InvalidField.at(
            f"{field}.reason",
            f"Line {line.line_no} is filled short ({quantity} of {line.quantity}): give the "
            "reason out_of_stock (or a substitute).",
            "missing",
            zh=f"第 {line.line_no} 项只发了 {quantity}（订了 {line.quantity}），"
            "请注明原因“缺货”，或换用替代药。",
        )
    elif quantity == line.quantity and reason is not None:
        raise InvalidField.at(
            f"{field}.reason",
            "A line filled in full needs no short reason.",
            zh="这一项已足量发药，不用填写缺药原因。",
        )
    return drug, quantity, reason


def equivalent_substitutes(session: Session, ordered: Drug) -> list[Drug]:
    """The drugs ``pick`` accepts as a substitute for ``ordered``: same generic group, strength
    and unit, covered by insurance (category C is not), active; in code order."""
    return list(
        session.scalars(
            select(Drug)
            .where(
                Drug.active.is_(True),
                Drug.id != ordered.id,
                Drug.generic_group == ordered.generic_group,
                Drug.strength_value == ordered.strength_value,
                Drug.dose_unit == ordered.dose_unit,
                Drug.insurance_category != InsuranceCategory.C,
            )
            .order_by(Drug.code)
        )
    )


def _substitute(session: Session, ordered: Drug, code: str, field: str) -> Drug:
    drug = session.scalar(select(Drug).where(Drug.code == code, Drug.active.is_(True)))
    if drug is None:
        raise InvalidField.at(
            field,
            f"No drug {code!r} in the catalog.",
            zh=f"药品目录中没有“{code}”（或已停用），请从列出的替代药中选择。",
        )
    equivalent = (
        drug.id != ordered.id
        and drug.generic_group == ordered.generic_group
        and drug.strength_value == ordered.strength_value
        and drug.dose_unit == ordered.dose_unit
    )
    if not equivalent:
        raise InvalidField.at(
            field,
            f"{drug.name_en} {drug.strength} is not an equivalent generic of {ordered.name_en} "
            f"{ordered.strength} (same generic group and strength).",
            zh=f"{drug.name_zh} {drug.strength} 与 {ordered.name_zh} {ordered.strength} "
            "不是等效药（须同一通用名、同一规格），不能替代。",
        )
    if drug.insurance_category == InsuranceCategory.C:
        raise InvalidField.at(
            field,
            f"{drug.name_en} is not covered by insurance; the substitute must be.",
            zh=f"{drug.name_zh} 不在医保目录内，替代药须在医保目录内。",
        )
    return drug


# --- cancel, dispatch, deliver, pick-up ------------------------------------------------------


def cancel(session: Session, user: User, order_id: int, reason: str) -> PharmacyOrder:
    """Cancel before dispatch; a picked order's reserved units return to stock."""
    order = visible_order(session, user, order_id)
    was_picked = order.status == OrderStatus.picked
    _transition(session, user, order, Action.cancel, reason)
    order.cancel_reason = reason
    if was_picked:
        for allocation in _allocations(session, order):
            stock.release_reservation(
                session, user, allocation.lot, allocation.quantity, order_id=order.id
            )
    session.flush()
    return order


def _allocations(session: Session, order: PharmacyOrder) -> list[Allocation]:
    return list(
        session.scalars(
            select(Allocation)
            .join(OrderLine, Allocation.order_line_id == OrderLine.id)
            .where(OrderLine.order_id == order.id)
            .order_by(Allocation.id)
        )
    )


def create_delivery_run(session: Session, user: User, town_code: str) -> DeliveryRun:
    """Send the van to a town: every picked order there is dispatched (stock leaves the shelf)."""
    town = session.scalar(select(Town).where(Town.code == town_code))
    if town is None:
        raise InvalidField.at(
            "body.town",
            f"No town {town_code!r}.",
            zh=f"没有编码为“{town_code}”的乡镇，请重新选择。",
        )
    orders = list(
        session.scalars(
            select(PharmacyOrder)
            .where(PharmacyOrder.town_id == town.id, PharmacyOrder.status == OrderStatus.picked)
            .order_by(PharmacyOrder.clinic_id, PharmacyOrder.id)
        )
    )
    if not orders:
        raise Conflict(
            f"No picked orders wait for {town.name_en}.",
            detail_zh=f"{town.name_zh}暂无已配药的订单，没有可发车配送的药。",
        )
    run = DeliveryRun(town_id=town.id, created_by_id=user.id)
    session.add(run)
    session.flush()
    for order in orders:
        _transition(session, user, order, Action.dispatch, f"run {run.id}")
        order.delivery_run_id = run.id
        for allocation in _allocations(session, order):
            stock.consume_reservation(
                session, user, allocation.lot, allocation.quantity, order_id=order.id
            )
    session.flush()
    return run


def confirm_delivery(session: Session, user: User, order_id: int) -> PharmacyOrder:
    """The receiving clinic's village doctor confirms the drugs arrived."""
    order = _clinic_order(session, user, order_id)
    _transition(session, user, order, Action.deliver)
    return order


def confirm_pick_up(session: Session, user: User, order_id: int) -> PharmacyOrder:
    """The patient collected the delivered drugs at the clinic. A second press (a double tap,
    a stale list) changes nothing and answers with the order as it is: the pick-up stands."""
    order = _clinic_order(session, user, order_id)
    if order.picked_up_at is not None:
        return order
    _transition(session, user, order, Action.pick_up)
    order.picked_up_at = utcnow()
    session.flush()
    return order


def _clinic_order(session: Session, user: User, order_id: int) -> PharmacyOrder:
    if user.role != Role.village_doctor:
        raise Forbidden(
            "Only the receiving clinic's village doctor confirms this.",
            detail_zh="只有收货卫生室的村医可以确认收货或取药。",
        )
    return visible_order(session, user, order_id)


# --- reading ---------------------------------------------------------------------------------


def list_orders(
    session: Session,
    user: User,
    *,
    status: OrderStatus | None,
    clinic_code: str | None,
    limit: int,
    offset: int,
    open_only: bool = False,
) -> list[PharmacyOrder]:
    """One page of orders, newest first: a village doctor sees their clinic's, others every
    clinic's or one clinic's; of one status when given; ``open_only``: neither cancelled nor
    collected by the patient (what a clinic still waits for or must hand out).
    """
    query = select(PharmacyOrder).options(selectinload(PharmacyOrder.lines))
    if user.role == Role.village_doctor:
        query = query.where(PharmacyOrder.clinic_id == user.clinic_id)
    elif clinic_code is not None:
        query = query.join(Facility, PharmacyOrder.clinic_id == Facility.id).where(
            Facility.code == clinic_code
        )
    if status is not None:
        query = query.where(PharmacyOrder.status == status)
    if open_only:
        query = query.where(
            PharmacyOrder.status != OrderStatus.cancelled, PharmacyOrder.picked_up_at.is_(None)
        )
    query = query.order_by(PharmacyOrder.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def delivery_runs(
    session: Session, town_code: str | None, limit: int, offset: int
) -> list[DeliveryRun]:
    """Past delivery runs, newest first (of one town when given)."""
    query = select(DeliveryRun)
    if town_code is not None:
        query = query.join(Town, DeliveryRun.town_id == Town.id).where(Town.code == town_code)
    query = query.order_by(DeliveryRun.id.desc()).limit(limit).offset(offset)
    return list(session.scalars(query))


def history(session: Session, order: PharmacyOrder) -> list[tuple[OrderEvent, str]]:
    """The order's events in time order, each with the username of who did it."""
    rows = session.execute(
        select(OrderEvent, User.username)
        .join(User, OrderEvent.by_id == User.id)
        .where(OrderEvent.order_id == order.id)
        .order_by(OrderEvent.at, OrderEvent.id)
    )
    return [(event, username) for event, username in rows]


def allocations_by_line(session: Session, order: PharmacyOrder) -> dict[int, list[Allocation]]:
    """The lots each line of the order was picked from, by order line id."""
    out: dict[int, list[Allocation]] = {}
    for allocation in _allocations(session, order):
        out.setdefault(allocation.order_line_id, []).append(allocation)
    return out
