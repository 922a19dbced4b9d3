"""seed-demo's settled bills: three months of counter bills, exact shares, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

import gpassist.auth.service
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.seed import seed_demo
from gpassist.settlement.tables import (
    Bill,
    JournalEntry,
    Settlement,
    SettlementShare,
    SettlementStatus,
)
from tests.conftest import DEMO_COUNTY, password_hash

TABLES = (Settlement, SettlementShare, Bill, JournalEntry)


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


@pytest.fixture
def seeded(db_session, monkeypatch):
    monkeypatch.setattr(gpassist.auth.service, "hash_password", lambda _password: password_hash())
    apply_registry(db_session, read_registry(DEMO_COUNTY))
    result = seed_demo(db_session, patients=400)
    db_session.flush()
    return db_session, result


def test_three_months_of_settled_bills(seeded):
    session, result = seeded
    settlements = session.scalars(select(Settlement)).all()
    assert result.counts["settlements"] == len(settlements) > 50
    assert "settlements" in result.summary()
    kinds = {s.bill.visit_type.value for s in settlements}
    assert kinds == {"chronic_outpatient", "outpatient"}
    days = [s.settled_on for s in settlements]
    assert min(days) >= dt.date(2026, 9, 1) and max(days) <= DEMO_TODAY
    reversed_ = [s for s in settlements if s.status == SettlementStatus.reversed]
    assert 1 <= len(reversed_) == result.counts["refunds"] < len(settlements) // 5
    for settlement in settlements:
        assert settlement.idempotency_key.startswith("demo-")
        assert len(settlement.shares) == 5
        shares = sum(share.amount_fen for share in settlement.shares)
        assert shares + settlement.patient_fen == settlement.bill.total_fen > 0
    # The chronic bills of the poor certified patients are mostly paid by the insurers.
    chronic = [s for s in settlements if s.bill.visit_type.value == "chronic_outpatient"]
    assert sum(s.patient_fen for s in chronic) < sum(s.bill.total_fen for s in chronic) / 2


def test_a_second_seed_changes_nothing(seeded):
    session, _ = seeded
    before = {table.__tablename__: count(session, table) for table in TABLES}
    again = seed_demo(session, patients=400)
    session.flush()
    assert not again.counts
    assert {table.__tablename__: count(session, table) for table in TABLES} == before
