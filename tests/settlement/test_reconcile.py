"""Daily reconciliation: totals per facility and payer net of reversals; the ledger check."""

from __future__ import annotations

import csv
import io

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, select, update

from gpassist.cli import main
from gpassist.db import shanghai_today
from gpassist.settlement.tables import JournalEntry, Ledger, SettlementShare
from tests.settlement.test_settlement_api import bill, poor_chronic_patient, settle

OUTPATIENT_ITEMS = [
    {"description": "诊疗", "category": "A", "quantity": 1, "unit_price_fen": 10000}
]


def settle_day(api):
    """Two chronic bills and an outpatient bill today at VA; the second chronic one reversed."""
    today = shanghai_today().isoformat()
    patient = poor_chronic_patient(api)
    receipts = [
        settle(api, bill(patient, bill_date=today)).get_json(),
        settle(api, bill(patient, bill_date=today)).get_json(),
        settle(
            api, bill(patient, bill_date=today, visit_type="outpatient", items=OUTPATIENT_ITEMS)
        ).get_json(),
    ]
    reversed_ = api.post(
        f"/api/v1/settlements/{receipts[1]['settlement_id']}/reversal",
        as_="doctor_a",
        json={"reason": "wrong drug"},
    )
    assert reversed_.status_code == 200
    return patient, [r["settlement_id"] for r in receipts]


def reconciliation(api, **params):
    params.setdefault("date", shanghai_today().isoformat())
    response = api.get("/api/v1/settlement-reconciliations", as_="admin", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def run_cli(database_url, *args):
    return CliRunner().invoke(
        main,
        ["settlement", "reconcile", "--date", shanghai_today().isoformat(), *args],
        env={"GPASSIST_DATABASE_URL": database_url},
    )


def test_totals_net_of_reversals_and_balanced(api, users, database_url, tmp_path):
    settle_day(api)
    rec = reconciliation(api, facility="VA")
    assert rec["balanced"] is True and rec["differences"] == []
    assert rec["settled_count"] == 3 and rec["reversed_count"] == 1
    totals = {
        t["payer"]: (t["settled_fen"], t["reversed_fen"], t["net_fen"]) for t in rec["totals"]
    }
    # chronic bill (each): E 1840 in the deductible; assistance 920, "180" 736, patient 184 + 500
    # outpatient bill: basic 55 % of 10000 = 5500, assistance 50 % of 4500 = 2250, patient 2250
    assert totals == {
        "basic_insurance": (5500, 0, 5500),
        "serious_illness": (0, 0, 0),
        "medical_assistance": (920 * 2 + 2250, 920, 920 + 2250),
        "safety_net_180": (736 * 2, 736, 736),
        "safety_net_351": (0, 0, 0),
        "patient": (684 * 2 + 2250, 684, 684 + 2250),
    }
    assert all(t["facility"] == "VA" for t in rec["totals"])
    assert reconciliation(api, facility="VB")["totals"] == []
    assert reconciliation(api, date="2020-01-01")["settled_count"] == 0

    exported = api.get(
        "/api/v1/settlement-reconciliations/reconciliation.csv",
        as_="admin",
        query_string={"date": shanghai_today().isoformat()},
    )
    assert exported.mimetype == "text/csv"
    assert exported.headers["X-Reconciliation-Balanced"] == "true"
    raw = exported.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assistance = next(r for r in rows if r["payer"] == "medical_assistance")
    assert assistance["payer_zh"] == "医疗救助" and assistance["net_fen"] == str(920 + 2250)

    result = run_cli(database_url, "--csv", str(tmp_path / "rec.csv"))
    assert result.exit_code == 0, result.output
    assert "balanced" in result.output
    assert (tmp_path / "rec.csv").read_bytes() == raw


def test_others_may_not_reconcile(api, users):
    for who in ("doctor_a", "pharmacist"):
        response = api.get(
            "/api/v1/settlement-reconciliations", as_=who, query_string={"date": "2026-03-02"}
        )
        assert response.status_code == 403
    missing = api.get(
        "/api/v1/settlement-reconciliations",
        as_="admin",
        query_string={"date": "2026-03-02", "facility": "NOPE"},
    )
    assert missing.status_code == 404


def corrupt_share(session, ids, patient):
    session.execute(
        update(SettlementShare)
        .where(
            SettlementShare.settlement_id == ids[0],
            SettlementShare.payer == "medical_assistance",
        )
        .values(amount_fen=921)
    )
    return [
        ("bill_total", "shares + patient", 2340, 2341, ids[0], None),
        ("journal_vs_shares", "medical_assistance", 921, 920, ids[0], None),
    ]


def corrupt_ledger(session, ids, patient):
    year = shanghai_today().year
    session.execute(
        update(Ledger)
        .where(Ledger.patient_id == patient, Ledger.year == year)
        .values(medical_assistance=Ledger.medical_assistance + 100)
    )
    return [
        ("ledger_vs_journal", "medical_assistance", 920 + 2250, 920 + 2250 + 100, None, patient)
    ]


def delete_reversal_entry(session, ids, patient):
    session.execute(
        delete(JournalEntry).where(
            JournalEntry.settlement_id == ids[1],
            JournalEntry.reversal.is_(True),
            JournalEntry.accumulator == "medical_assistance",
        )
    )
    return [
        ("reversal", "medical_assistance", -920, 0, ids[1], None),
        ("ledger_vs_journal", "medical_assistance", 920 * 2 + 2250, 920 + 2250, None, patient),
    ]


@pytest.mark.parametrize("corrupt", [corrupt_share, corrupt_ledger, delete_reversal_entry])
def test_a_corrupted_side_is_reported(api, users, database, database_url, corrupt):
    patient, ids = settle_day(api)
    with database.transaction(actor="test") as session:
        expected = corrupt(session, ids, patient)
    rec = reconciliation(api)
    assert rec["balanced"] is False
    found = [
        (d["check"], d["what"], d["expected"], d["found"], d["settlement_id"], d["patient_id"])
        for d in rec["differences"]
    ]
    assert found == expected
    result = run_cli(database_url, "--facility", "VA")
    assert result.exit_code == 1, result.output
    assert "UNBALANCED" in result.output
    assert str(expected[0][4] or expected[0][5]) in result.output
    with database.sessionmaker() as session:
        assert session.scalar(select(JournalEntry.id).limit(1)) is not None
