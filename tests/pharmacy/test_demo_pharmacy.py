"""seed-demo's pharmacy: stock everywhere, a board with orders in every state, idempotent."""

from __future__ import annotations

from sqlalchemy import func, select

import gpassist.auth.service
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.seed import seed_demo
from gpassist.pharmacy import board, reports, stock
from gpassist.pharmacy.tables import PharmacyOrder, StockLot, StockMovement
from tests.conftest import DEMO_COUNTY, password_hash


def test_demo_stock_and_orders(db_session, monkeypatch):
    monkeypatch.setattr(gpassist.auth.service, "hash_password", lambda _password: password_hash())
    apply_registry(db_session, read_registry(DEMO_COUNTY))
    first = seed_demo(db_session, patients=200)
    db_session.flush()
    assert first.counts["stock lots"] > 300 and first.counts["pharmacy orders"] >= 6

    statuses = set(db_session.scalars(select(PharmacyOrder.status)))
    assert {s.value for s in statuses} >= {"pending", "picked", "delivered"}
    groups = board.dispatch_board(db_session)
    assert sum(len(g.pending) for g in groups) >= 1
    pharmacy = stock.central_pharmacy(db_session)
    assert reports.near_expiry(db_session, pharmacy.id, DEMO_TODAY, 90)
    # Nothing is ever below zero or reserved beyond what is on the shelf.
    assert (
        db_session.scalar(
            select(func.count()).where(
                (StockLot.reserved > StockLot.on_hand) | (StockLot.on_hand < 0)
            )
        )
        == 0
    )

    tables = (StockLot, StockMovement, PharmacyOrder)
    before = [db_session.scalar(select(func.count()).select_from(t)) for t in tables]
    again = seed_demo(db_session, patients=200)
    db_session.flush()
    assert not again.counts
    assert [db_session.scalar(select(func.count()).select_from(t)) for t in tables] == before
