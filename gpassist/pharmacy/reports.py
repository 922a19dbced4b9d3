"""Near-expiry lots and the replenishment hint.

Use is what left the facility for patients: at the central pharmacy the units dispatched in
delivery runs, at a clinic the units dispensed. The average daily use is the last 30 days' total
over 30; days left is the available stock over that average; a drug is on the reorder list when
fewer days are left than ``PHARMACY_REORDER_DAYS`` (or when it is used and none is left).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import Drug, Facility, FacilityKind
from gpassist.pharmacy.tables import MovementKind, StockLot, StockMovement

USE_WINDOW_DAYS = 30


@dataclass(frozen=True)
class Replenishment:
    """A drug's use over 30 days, what is left, how long it lasts, and whether to reorder."""

    drug: Drug
    used_30d: int
    average_daily_use: float
    available: int
    days_left: float | None  # None: nothing used, so stock lasts indefinitely
    reorder: bool


def days_left(available: int, used: int, window_days: int = USE_WINDOW_DAYS) -> float | None:
    """Days the available stock lasts at the window's average daily use (None if unused)."""
    if used <= 0:
        return None
    return available / (used / window_days)


def needs_reorder(available: int, used: int, threshold_days: float) -> bool:
    """Whether the stock lasts fewer than ``threshold_days`` at the past month's use."""
    left = days_left(available, used)
    return left is not None and left < threshold_days


def near_expiry(
    session: Session, facility_id: int | None, today: dt.date, within_days: int
) -> list[StockLot]:
    """Lots with stock on hand expiring within ``within_days`` (or already expired), soonest
    first."""
    query = (
        select(StockLot)
        .where(
            StockLot.on_hand > 0,
            StockLot.expires_on <= today + dt.timedelta(days=within_days),
        )
        .order_by(StockLot.expires_on, StockLot.id)
    )
    if facility_id is not None:
        query = query.where(StockLot.facility_id == facility_id)
    return list(session.scalars(query))


def replenishment(
    session: Session, facility: Facility, now: dt.datetime, today: dt.date, threshold_days: float
) -> list[Replenishment]:
    """Per drug stocked or used at ``facility``: use, days left and whether to reorder;
    the reorder candidates first, fewest days left first."""
    kind = (
        MovementKind.dispatched
        if facility.kind == FacilityKind.central_pharmacy
        else MovementKind.dispensed
    )
    since = now - dt.timedelta(days=USE_WINDOW_DAYS)
    used = dict(
        session.execute(
            select(StockMovement.drug_id, func.sum(-StockMovement.on_hand_delta))
            .where(
                StockMovement.facility_id == facility.id,
                StockMovement.kind == kind,
                StockMovement.created_at >= since,
            )
            .group_by(StockMovement.drug_id)
        ).all()
    )
    free = dict(
        session.execute(
            select(StockLot.drug_id, func.sum(StockLot.on_hand - StockLot.reserved))
            .where(StockLot.facility_id == facility.id, StockLot.expires_on >= today)
            .group_by(StockLot.drug_id)
        ).all()
    )
    drug_ids = set(used) | set(free)
    drugs = {d.id: d for d in session.scalars(select(Drug).where(Drug.id.in_(drug_ids)))}
    rows = []
    for drug_id in drug_ids:
        u, a = int(used.get(drug_id) or 0), int(free.get(drug_id) or 0)
        rows.append(
            Replenishment(
                drug=drugs[drug_id],
                used_30d=u,
                average_daily_use=u / USE_WINDOW_DAYS,
                available=a,
                days_left=days_left(a, u),
                reorder=needs_reorder(a, u, threshold_days),
            )
        )
    rows.sort(
        key=lambda r: (
            not r.reorder,
            r.days_left if r.days_left is not None else float("inf"),
            r.drug.code,
        )
    )
    return rows
