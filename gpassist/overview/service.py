"""Counts and sums over a period of Shanghai days, for the county or one town. No Flask here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import Department, Facility, Town
from gpassist.consult.tables import Consultation
from gpassist.db import SHANGHAI
from gpassist.pharmacy.tables import PharmacyOrder
from gpassist.settlement.tables import Settlement, SettlementShare, SettlementStatus


@dataclass(frozen=True)
class Period:
    """The days an overview covers, both ends included, in Asia/Shanghai."""

    start: dt.date
    end: dt.date  # inclusive

    @property
    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start 00:00, the day after end 00:00) in Asia/Shanghai, as UTC instants."""
        first = dt.datetime.combine(self.start, dt.time(), SHANGHAI)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), SHANGHAI)
        return first.astimezone(dt.UTC), after.astimezone(dt.UTC)


@dataclass(frozen=True)
class Overview:
    """The county's figures for a period (and optionally one town): money, consultations, orders."""

    period: Period
    town: Town | None
    settlements: int
    total_fen: int
    patient_fen: int
    by_payer: dict[str, int]
    consultations_by_state: dict[str, int]
    consultations_by_department: list[tuple[Department, int]]
    orders_by_status: dict[str, int]
    orders_by_town: list[tuple[Town, int]]


def overview(session: Session, period: Period, town: Town | None) -> Overview:
    """Settlements by payer, consultations by state and department, pharmacy orders by status
    and town, for ``period`` and optionally one ``town``.
    """
    count, total, patient = _settlement_totals(session, period, town)
    return Overview(
        period=period,
        town=town,
        settlements=count,
        total_fen=total,
        patient_fen=patient,
        by_payer=_shares_by_payer(session, period, town),
        consultations_by_state=_consultations_by_state(session, period, town),
        consultations_by_department=_consultations_by_department(session, period, town),
        orders_by_status=_orders_by_status(session, period, town),
        orders_by_town=_orders_by_town(session, period, town),
    )


def _settled_in(period: Period, town: Town | None):
    # Reversed settlements are left out: the money went back.
    query = (
        select(Settlement.id)
        .join(Facility, Settlement.facility_id == Facility.id)
        .where(
            Settlement.status == SettlementStatus.settled,
            Settlement.settled_on >= period.start,
            Settlement.settled_on <= period.end,
        )
    )
    if town is not None:
        query = query.where(Facility.town_id == town.id)
    return query


def _settlement_totals(session: Session, period: Period, town: Town | None) -> tuple[int, int, int]:
    from gpassist.settlement.tables import Bill

    ids = _settled_in(period, town).subquery()
    row = session.execute(
        select(
            func.count(Settlement.id),
            func.coalesce(func.sum(Bill.total_fen), 0),
            func.coalesce(func.sum(Settlement.patient_fen), 0),
        )
        .join(Bill, Settlement.bill_id == Bill.id)
        .where(Settlement.id.in_(select(ids.c.id)))
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def _shares_by_payer(session: Session, period: Period, town: Town | None) -> dict[str, int]:
    ids = _settled_in(period, town).subquery()
    rows = session.execute(
        select(SettlementShare.payer, func.sum(SettlementShare.amount_fen))
        .where(SettlementShare.settlement_id.in_(select(ids.c.id)))
        .group_by(SettlementShare.payer)
    )
    return {str(payer): int(amount) for payer, amount in rows}


def _consultations_in(period: Period, town: Town | None):
    first, after = period.utc_bounds
    query = (
        select(Consultation)
        .join(Facility, Consultation.clinic_id == Facility.id)
        .where(Consultation.requested_at >= first, Consultation.requested_at < after)
    )
    if town is not None:
        query = query.where(Facility.town_id == town.id)
    return query


def _consultations_by_state(session: Session, period: Period, town: Town | None) -> dict[str, int]:
    found = _consultations_in(period, town).subquery()
    rows = session.execute(select(found.c.state, func.count()).group_by(found.c.state))
    return {str(state): int(n) for state, n in rows}


def _consultations_by_department(
    session: Session, period: Period, town: Town | None
) -> list[tuple[Department, int]]:
    found = _consultations_in(period, town).subquery()
    rows = session.execute(
        select(Department, func.count())
        .join(found, found.c.department_id == Department.id)
        .group_by(Department.id)
        .order_by(func.count().desc(), Department.code)
    )
    return [(department, int(n)) for department, n in rows]


def _orders_in(period: Period, town: Town | None):
    first, after = period.utc_bounds
    query = select(PharmacyOrder).where(
        PharmacyOrder.created_at >= first, PharmacyOrder.created_at < after
    )
    if town is not None:
        query = query.where(PharmacyOrder.town_id == town.id)
    return query


def _orders_by_status(session: Session, period: Period, town: Town | None) -> dict[str, int]:
    found = _orders_in(period, town).subquery()
    rows = session.execute(select(found.c.status, func.count()).group_by(found.c.status))
    return {str(status): int(n) for status, n in rows}


def _orders_by_town(session: Session, period: Period, town: Town | None) -> list[tuple[Town, int]]:
    found = _orders_in(period, town).subquery()
    rows = session.execute(
        select(Town, func.count())
        .join(found, found.c.town_id == Town.id)
        .group_by(Town.id)
        .order_by(Town.code)
    )
    return [(t, int(n)) for t, n in rows]
