"""A process killed in the middle of a settlement leaves either the whole settlement or none.

A child Python process (a real process, killed with SIGKILL: no mock, no clean shutdown) settles
bills in a loop, one transaction per settlement. An ``after_flush`` listener installed only in the
child pauses the N-th settlement once every one of its rows (bill, lines, settlement, shares,
ledger change, journal) has been flushed but before the commit, and writes a marker file. The
parent waits for the marker, kills the child, and checks what is left in the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import defaultdict

import pytest
from sqlalchemy import func, select, text

from gpassist.db import Database
from gpassist.settlement.service import ACCUMULATORS
from gpassist.settlement.tables import (
    Bill,
    BillLine,
    JournalEntry,
    Ledger,
    Settlement,
    SettlementShare,
    SettlementStatus,
)
from tests.servers import ROOT

PAUSE_AT = 5  # the settlement the child is killed in the middle of
REVERSED = 2  # the child refunds this one (its own transaction) before going on

CHILD = textwrap.dedent(
    """
    import datetime as dt
    import os
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from gpassist.all_tables import metadata
    from gpassist.clinics.loader import apply_registry, read_registry
    from gpassist.clinics.tables import Facility
    from gpassist.db import Database
    from gpassist.followup.tables import ChronicCertification
    from gpassist.patients.tables import Household, Patient, PregnancyStatus, Sex
    from gpassist.settlement import service
    from gpassist.settlement.schemas import BillIn
    from gpassist.settlement.tables import JournalEntry
    from tests.conftest import MINI_COUNTY, make_users

    url, marker = sys.argv[1], Path(sys.argv[2])
    pause_at, reversed_no = int(sys.argv[3]), int(sys.argv[4])
    database = Database(url)
    metadata.create_all(database.engine)
    with database.transaction(actor="crash-test") as session:
        apply_registry(session, read_registry(MINI_COUNTY))
        doctor = make_users(session)["doctor_a"]
        clinic = doctor.clinic_id
        county_hospital = session.query(Facility.id).filter_by(code="CH").scalar()
        household = Household(
            clinic_id=clinic, code="CRASH-1", head_name="贫困户", poverty_registered=True
        )
        session.add(household)
        session.flush()
        patients = []
        for name, household_id in [("刘桂英", household.id), ("王建国", None)]:
            patient = Patient(
                clinic_id=clinic,
                household_id=household_id,
                name=name,
                name_initials="x",
                sex=Sex.female,
                birth_date=dt.date(1950, 1, 1),
                village="test",
                pregnancy_status=PregnancyStatus.not_applicable,
                drug_allergies=[],
            )
            session.add(patient)
            patients.append(patient)
        session.flush()
        session.add(
            ChronicCertification(
                patient_id=patients[0].id,
                disease="hypertension",
                icd10="I10",
                certified_on=dt.date(2025, 1, 1),
                certifying_facility_id=county_hospital,
                recorded_by_id=doctor.id,
            )
        )
        ids = [p.id for p in patients]

    state = {"settling": 0, "paused": False}

    @event.listens_for(Session, "after_flush")
    def pause_mid_settlement(session, _context):
        # Every row of the settlement is flushed once its journal entries are: pause there.
        if state["settling"] != pause_at or state["paused"]:
            return
        if not any(isinstance(obj, JournalEntry) for obj in session.new):
            return
        state["paused"] = True
        marker.write_text("paused")
        time.sleep(60)

    for no in range(1, pause_at + 1):
        state["settling"] = no
        bill = BillIn(
            patient_id=ids[no % 2],
            visit_type="chronic_outpatient" if no % 2 == 0 else "outpatient",
            bill_date=dt.date(2026, 3, no),
            items=[
                # (a drug line needs a prescription of the visit; a free A line costs the same)
                {"description": "耗材", "category": "A", "quantity": 28, "unit_price_fen": 30},
                {"service": "consult-general", "quantity": 1},
                {
                    "description": "血压计袖带",
                    "category": "C",
                    "quantity": 1,
                    "unit_price_fen": 500,
                },
            ],
        )
        with database.transaction(actor="crash-test") as session:
            user = session.merge(doctor, load=False)
            settlement, _ = service.settle_bill(
                session, user, bill, f"crash-{no}", dt.date(2026, 3, 28)
            )
            settlement_id = settlement.id
        if no == reversed_no:
            with database.transaction(actor="crash-test") as session:
                user = session.merge(doctor, load=False)
                service.reverse_settlement(
                    session, user, settlement_id, dt.date(2026, 3, no), reason="crash test"
                )
        print("settled", no, flush=True)
    print("never paused", flush=True)
    """
)


def run_child_until_paused(database_url: str, tmp_path) -> None:
    script = tmp_path / "settle_forever.py"
    script.write_text(CHILD)
    marker = tmp_path / "paused"
    log = open(tmp_path / "child.log", "w")  # noqa: SIM115
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPASSIST_")}
    env["PYTHONPATH"] = str(ROOT)
    child = subprocess.Popen(
        [sys.executable, str(script), database_url, str(marker), str(PAUSE_AT), str(REVERSED)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            if child.poll() is not None:
                log.flush()
                output = (tmp_path / "child.log").read_text()[-3000:]
                pytest.fail(f"the child exited ({child.returncode}) without pausing:\n{output}")
            if time.monotonic() > deadline:
                pytest.fail("the child did not reach the pause within 60 s")
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=15) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        log.close()


@pytest.mark.slow
def test_a_settlement_killed_halfway_leaves_nothing_and_the_rest_intact(
    empty_database_url, tmp_path
):
    run_child_until_paused(empty_database_url, tmp_path)
    database = Database(empty_database_url)
    try:
        with database.transaction() as session:
            if database.backend == "sqlite":
                assert session.execute(text("PRAGMA integrity_check")).scalar() == "ok"
            settlements = session.scalars(select(Settlement).order_by(Settlement.id)).all()
            # The interrupted settlement left nothing; every earlier one is whole.
            assert len(settlements) == PAUSE_AT - 1
            assert [s.idempotency_key for s in settlements] == [
                f"crash-{no}" for no in range(1, PAUSE_AT)
            ]
            assert session.scalar(select(func.count()).select_from(Bill)) == len(settlements)
            assert session.scalar(select(func.count()).select_from(BillLine)) == 3 * len(
                settlements
            )
            assert session.scalar(select(func.count()).select_from(SettlementShare)) == 5 * len(
                settlements
            )
            for settlement in settlements:
                bill = session.get(Bill, settlement.bill_id)
                assert bill is not None and bill.patient_id == settlement.patient_id
                assert [line.line_no for line in bill.lines] == [1, 2, 3]
                assert sum(line.amount_fen for line in bill.lines) == bill.total_fen
                assert len(settlement.shares) == 5
                shares = sum(share.amount_fen for share in settlement.shares)
                assert shares + settlement.patient_fen == bill.total_fen
                entries = session.scalars(
                    select(JournalEntry).where(JournalEntry.settlement_id == settlement.id)
                ).all()
                assert any(not e.reversal for e in entries)
                reversed_ = settlement.idempotency_key == f"crash-{REVERSED}"
                assert (settlement.status == SettlementStatus.reversed) == reversed_
                assert any(e.reversal for e in entries) == reversed_
            # Each ledger is exactly the sum of its journal.
            journal: dict[tuple[int, int], dict[str, int]] = defaultdict(
                lambda: dict.fromkeys(ACCUMULATORS, 0)
            )
            for entry in session.scalars(select(JournalEntry)):
                journal[entry.patient_id, entry.year][entry.accumulator] += entry.delta_fen
            ledgers = session.scalars(select(Ledger)).all()
            assert ledgers and {(lg.patient_id, lg.year) for lg in ledgers} >= set(journal)
            for ledger in ledgers:
                expected = journal.get((ledger.patient_id, ledger.year), {})
                for name in ACCUMULATORS:
                    assert getattr(ledger, name) == expected.get(name, 0), name
    finally:
        database.dispose()
