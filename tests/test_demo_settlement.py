"""seed-demo's settled bills: three months of counter bills, exact shares, idempotent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.seed import seed_demo
from gpassist.settlement.tables import (
    Bill,
    JournalEntry,
    Settlement,
    SettlementShare,
    SettlementStatus,
)
from tests.conftest import DEMO_PATIENTS

TABLES = (Settlement, SettlementShare, Bill, JournalEntry)


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def test_three_months_of_settled_bills(seeded_demo):
    session, result = seeded_demo
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


def test_a_second_seed_changes_nothing(seeded_demo):
    session, _ = seeded_demo
    before = {table.__tablename__: count(session, table) for table in TABLES}
    again = seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    session.flush()
    assert not again.counts
    assert {table.__tablename__: count(session, table) for table in TABLES} == before
