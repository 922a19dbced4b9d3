"""Stock lots at the central pharmacy and at clinics: receive, adjust, reserve, dispense.

Every change of a lot's counts is ONE conditional UPDATE whose WHERE clause restates the invariant
(``on_hand - reserved >= quantity``): the database, not a read made earlier, decides. Two
pharmacists picking the last units at once both plan from what they read, but only the first
UPDATE matches; on PostgreSQL the second waits for the first's row lock and then re-checks the
WHERE against the committed row (READ COMMITTED), on SQLite writers are serialised (every writing
transaction begins IMMEDIATE). When the loser's UPDATE on a lot matches no row, it reads the
lot again (locked) and takes what is left there, then goes on to the next-expiring lot: only
when all the lots together hold too little does the request end in a 409, with nothing written.
The CHECK constraints on the table are the last line of defence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Drug, Facility, FacilityKind
from gpassist.errors import Conflict, InvalidField, NotFound
from gpassist.pharmacy.tables import AdjustReason, MovementKind, StockLot, StockMovement

LOTS = StockLot.__table__


_EXPIRED_ZH = "这批药已过有效期，不能入库。"


class StockShort(Conflict):
    """Not enough available stock (on hand less reserved) for what was asked."""


@dataclass(frozen=True)
class Take:
    """Units taken from one lot."""

    lot_id: int
    quantity: int


def central_pharmacy(session: Session) -> Facility:
    """The county's central pharmacy; raises ``NotFound`` when the registry has none."""
    pharmacy = session.scalar(
        select(Facility)
        .where(Facility.kind == FacilityKind.central_pharmacy, Facility.active.is_(True))
        .order_by(Facility.id)
        .limit(1)
    )
    if pharmacy is None:
        raise NotFound(
            "The county registry has no central pharmacy.",
            detail_zh="县里的机构名录中没有中心药房，请联系管理员导入机构名录。",
        )
    return pharmacy


def usable_lots(session: Session, facility_id: int, drug_id: int, today: dt.date) -> list[StockLot]:
    """Unexpired lots with something available, the first to expire first (FEFO)."""
    return list(
        session.scalars(
            select(StockLot)
            .where(
                StockLot.facility_id == facility_id,
                StockLot.drug_id == drug_id,
                StockLot.expires_on >= today,
                StockLot.on_hand > StockLot.reserved,
            )
            .order_by(StockLot.expires_on, StockLot.id)
            .execution_options(populate_existing=True)
        )
    )


def available(session: Session, facility_id: int, drug_id: int, today: dt.date) -> int:
    """Units of the drug on hand and not reserved at the facility, in lots not expired today."""
    total = session.scalar(
        select(func.coalesce(func.sum(StockLot.on_hand - StockLot.reserved), 0)).where(
            StockLot.facility_id == facility_id,
            StockLot.drug_id == drug_id,
            StockLot.expires_on >= today,
        )
    )
    return int(total or 0)


def plan_fefo(lots: list[tuple[int, int]], quantity: int) -> list[Take] | None:
    """Takes from ``(lot id, available)`` in the given (first-expiring-first) order, or None
    when they do not hold ``quantity``."""
    takes, left = [], quantity
    for lot_id, free in lots:
        if left == 0:
            break
        q = min(free, left)
        if q > 0:
            takes.append(Take(lot_id, q))
            left -= q
    return takes if left == 0 else None


def _movement(
    session: Session,
    user: User | None,
    lot: StockLot | tuple[int, int, int],
    kind: MovementKind,
    on_hand_delta: int,
    reserved_delta: int,
    **extra,
) -> None:
    lot_id, facility_id, drug_id = (
        (lot.id, lot.facility_id, lot.drug_id) if isinstance(lot, StockLot) else lot
    )
    session.add(
        StockMovement(
            lot_id=lot_id,
            facility_id=facility_id,
            drug_id=drug_id,
            kind=kind,
            on_hand_delta=on_hand_delta,
            reserved_delta=reserved_delta,
            by_id=user.id if user else None,
            **extra,
        )
    )


def _take_from_lots(
    session: Session,
    user: User | None,
    facility: Facility,
    drug: Drug,
    quantity: int,
    today: dt.date,
    kind: MovementKind,
    **extra,
) -> list[Take]:
    lots = usable_lots(session, facility.id, drug.id, today)
    if plan_fefo([(lot.id, lot.on_hand - lot.reserved) for lot in lots], quantity) is None:
        raise _short(facility, drug, sum(lot.on_hand - lot.reserved for lot in lots), quantity)
    takes: list[Take] = []
    left = quantity
    for lot in lots:
        if left == 0:
            break
        # Plan from what was read; if a racing request took some of this lot meanwhile, take
        # what it holds now and go on to the next lot rather than refuse the whole pick.
        believed = lot.on_hand - lot.reserved
        while left and believed > 0:
            want = min(left, believed)
            if _take(session, lot.id, want, kind):
                takes.append(Take(lot.id, want))
                left -= want
                break
            believed = _free_now(session, lot.id)
    if left:
        raise _short(facility, drug, quantity - left, quantity, raced=True)
    for take in takes:
        on_hand_delta, reserved_delta = (
            (0, take.quantity) if kind == MovementKind.reserved else (-take.quantity, 0)
        )
        _movement(
            session,
            user,
            (take.lot_id, facility.id, drug.id),
            kind,
            on_hand_delta,
            reserved_delta,
            **extra,
        )
    for lot in lots:
        session.expire(lot)
    return takes


def _take(session: Session, lot_id: int, quantity: int, kind: MovementKind) -> bool:
    """Reserve or take ``quantity`` off one lot if it still has them available."""
    column = LOTS.c.reserved if kind == MovementKind.reserved else LOTS.c.on_hand
    sign = 1 if kind == MovementKind.reserved else -1
    return (
        session.execute(
            update(LOTS)
            .where(LOTS.c.id == lot_id, LOTS.c.on_hand - LOTS.c.reserved >= quantity)
            .values({column: column + sign * quantity})
        ).rowcount
        == 1
    )


def _free_now(session: Session, lot_id: int) -> int:
    # A fresh statement sees the racing request's commit (READ COMMITTED); FOR UPDATE holds the
    # row until we commit, so the next conditional UPDATE on it cannot lose again.
    free = session.execute(
        select(LOTS.c.on_hand - LOTS.c.reserved).where(LOTS.c.id == lot_id).with_for_update()
    ).scalar()
    return int(free or 0)


def _short(
    facility: Facility, drug: Drug, free: int, quantity: int, raced: bool = False
) -> StockShort:
    when = " (taken by someone else at the same moment; reload)" if raced else ""
    when_zh = "（刚被他人同时取用，请刷新）" if raced else ""
    return StockShort(
        f"Only {free} {drug.unit_en} of {drug.name_en} {drug.strength} available at "
        f"{facility.code}{when}; {quantity} needed.",
        detail_zh=f"{facility.name_zh}的{drug.name_zh} {drug.strength} 库存不足{when_zh}："
        f"可用 {free}{drug.unit_zh}，需要 {quantity}{drug.unit_zh}。请减少数量或换药。",
        drug=drug.code,
        available=free,
        needed=quantity,
    )


def reserve_fefo(session, user, facility, drug, quantity, today, **extra) -> list[Take]:
    """Reserve ``quantity`` from the first-expiring lots (a pick at the central pharmacy)."""
    return _take_from_lots(
        session, user, facility, drug, quantity, today, MovementKind.reserved, **extra
    )


def dispense_fefo(session, user, facility, drug, quantity, today, **extra) -> list[Take]:
    """Take ``quantity`` off the shelf from the first-expiring lots (dispensing at a clinic)."""
    return _take_from_lots(
        session, user, facility, drug, quantity, today, MovementKind.dispensed, **extra
    )


def consume_reservation(
    session: Session, user: User, lot: StockLot, quantity: int, **extra
) -> None:
    """Reserved units leave the building (dispatch): on hand and reserved both go down."""
    changed = session.execute(
        update(LOTS)
        .where(LOTS.c.id == lot.id, LOTS.c.reserved >= quantity, LOTS.c.on_hand >= quantity)
        .values(on_hand=LOTS.c.on_hand - quantity, reserved=LOTS.c.reserved - quantity)
    ).rowcount
    if changed != 1:  # only a manual adjustment below the reservation could cause this
        raise Conflict(
            f"Lot {lot.lot_no} no longer holds the {quantity} units reserved for it.",
            detail_zh=f"批号 {lot.lot_no} 的库存已少于为订单预留的 {quantity}，"
            "可能被手工调整过。请核对库存后重新配药。",
        )
    _movement(session, user, lot, MovementKind.dispatched, -quantity, -quantity, **extra)
    session.expire(lot)


def release_reservation(
    session: Session, user: User, lot: StockLot, quantity: int, **extra
) -> None:
    """A cancelled picked order: its reserved units are available again."""
    changed = session.execute(
        update(LOTS)
        .where(LOTS.c.id == lot.id, LOTS.c.reserved >= quantity)
        .values(reserved=LOTS.c.reserved - quantity)
    ).rowcount
    if changed != 1:
        raise Conflict(
            f"Lot {lot.lot_no} does not hold the {quantity} units reserved for it.",
            detail_zh=f"批号 {lot.lot_no} 没有为这张订单预留的 {quantity}，请刷新库存后再试。",
        )
    _movement(session, user, lot, MovementKind.released, 0, -quantity, **extra)
    session.expire(lot)


def receive(
    session: Session,
    user: User,
    facility: Facility,
    drug: Drug,
    lot_no: str,
    expires_on: dt.date,
    quantity: int,
    today: dt.date,
) -> StockLot:
    """Stock arrives: a new lot, or more of a lot already on the shelf (same number and expiry)."""
    if expires_on <= today:
        raise InvalidField.at(
            "body.expires_on", "An expired lot cannot be received.", zh=_EXPIRED_ZH
        )
    lot = session.scalar(
        select(StockLot).where(
            StockLot.facility_id == facility.id,
            StockLot.drug_id == drug.id,
            StockLot.lot_no == lot_no,
        )
    )
    if lot is None:
        lot = StockLot(
            facility_id=facility.id,
            drug_id=drug.id,
            lot_no=lot_no,
            expires_on=expires_on,
            on_hand=quantity,
            reserved=0,
        )
        session.add(lot)
        session.flush()
    else:
        if lot.expires_on != expires_on:
            raise InvalidField.at(
                "body.expires_on",
                f"Lot {lot_no} is on record with expiry {lot.expires_on}; a lot has one expiry.",
                zh=f"批号 {lot_no} 已登记的有效期是 {lot.expires_on}，同一批号只有一个有效期。"
                "请核对批号和有效期。",
            )
        session.execute(
            update(LOTS).where(LOTS.c.id == lot.id).values(on_hand=LOTS.c.on_hand + quantity)
        )
        session.expire(lot)
    _movement(session, user, lot, MovementKind.received, quantity, 0)
    session.flush()
    return lot


@dataclass(frozen=True)
class Delivery:
    """One lot of a delivery: the drug, its lot number and expiry, and how many units."""

    drug: Drug
    lot_no: str
    expires_on: dt.date
    quantity: int


def receive_new_lots(
    session: Session,
    user: User,
    facility: Facility,
    deliveries: list[Delivery],
    today: dt.date,
) -> int:
    """Receive a whole delivery at once (the central pharmacy's opening stock of a catalog of
    thousands): each lot not yet on record arrives, with its movement; a lot already on record
    is left as it is. Returns the number of lots received.
    """
    have = {
        (drug_id, lot_no)
        for drug_id, lot_no in session.execute(
            select(StockLot.drug_id, StockLot.lot_no).where(StockLot.facility_id == facility.id)
        )
    }
    lots = []
    for item in deliveries:
        if item.expires_on <= today:
            raise InvalidField.at(
                "body.expires_on", "An expired lot cannot be received.", zh=_EXPIRED_ZH
            )
        if (item.drug.id, item.lot_no) in have:
            continue
        have.add((item.drug.id, item.lot_no))
        lots.append(
            StockLot(
                facility_id=facility.id,
                drug_id=item.drug.id,
                lot_no=item.lot_no,
                expires_on=item.expires_on,
                on_hand=item.quantity,
                reserved=0,
            )
        )
    session.add_all(lots)
    session.flush()
    for lot in lots:
        _movement(session, user, lot, MovementKind.received, lot.on_hand, 0)
    session.flush()
    return len(lots)


def adjust(
    session: Session,
    user: User,
    lot: StockLot,
    delta: int,
    reason: AdjustReason,
    note: str | None,
) -> StockLot:
    """Correct a lot's count (stocktake, damage, expiry); never below what is reserved."""
    changed = session.execute(
        update(LOTS)
        .where(LOTS.c.id == lot.id, LOTS.c.on_hand + delta >= LOTS.c.reserved)
        .values(on_hand=LOTS.c.on_hand + delta)
    ).rowcount
    if changed != 1:
        session.refresh(lot)
        raise Conflict(
            f"Lot {lot.lot_no} has {lot.on_hand} on hand, {lot.reserved} of them reserved for "
            f"picked orders: it cannot go down by {-delta}.",
            detail_zh=f"批号 {lot.lot_no} 现有 {lot.on_hand}，"
            f"其中 {lot.reserved} 已为配好的订单预留，"
            f"不能减少 {-delta}（调整后将低于已预留数量）。",
        )
    _movement(session, user, lot, MovementKind.adjusted, delta, 0, reason=reason, note=note)
    session.flush()
    session.refresh(lot)
    return lot
