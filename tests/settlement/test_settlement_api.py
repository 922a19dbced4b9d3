"""Settling at the counter: one step, exact, idempotent, reversible, serialised per patient."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from gpassist.settlement import chain
from gpassist.settlement.policy import Level
from gpassist.settlement.service import ACCUMULATORS, county_policies
from gpassist.settlement.tables import JournalEntry, Ledger, Settlement

CHRONIC_BILL_DATE = "2026-03-02"


def poor_chronic_patient(api) -> int:
    household = api.post(
        "/api/v1/households",
        as_="doctor_a",
        json={"head_name": "贫困户", "poverty_registered": True},
    ).get_json()
    patient = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={
            "name": "刘桂英",
            "sex": "female",
            "birth_date": "1950-01-01",
            "household_id": household["id"],
        },
    ).get_json()
    certified = api.post(
        f"/api/v1/patients/{patient['id']}/certifications",
        as_="doctor_a",
        json={"disease": "hypertension", "certified_on": "2025-01-01", "certifying_facility": "CH"},
    )
    assert certified.status_code == 201
    return patient["id"]


def bill(patient_id: int, **changes) -> dict:
    body = {
        "patient_id": patient_id,
        "visit_type": "chronic_outpatient",
        "bill_date": CHRONIC_BILL_DATE,
        "items": [
            # A drug line needs a prescription of the visit (test_visit_bill.py); to the payer
            # chain a free line of amlodipine's category and price (A, 30 fen) is the same line.
            {"description": "A类项目", "category": "A", "quantity": 28, "unit_price_fen": 30},
            {"service": "consult-general", "quantity": 1},
            {"description": "血压计袖带", "category": "C", "quantity": 1, "unit_price_fen": 500},
        ],
    }
    body.update(changes)
    return body


def settle(api, body, key=None, as_="doctor_a"):
    headers = {"Idempotency-Key": key or uuid.uuid4().hex}
    return api.post("/api/v1/settlements", as_=as_, json=body, headers=headers)


def test_chronic_bill_is_split_among_every_payer_to_the_fen(api, users):
    patient = poor_chronic_patient(api)
    response = settle(api, bill(patient))
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    # 28 × 30 (amlodipine, A) + 1000 (consultation, A) + 500 (C): E = 1840, all in the deductible
    assert receipt["total_fen"] == 2340 and receipt["eligible_fen"] == 1840
    shares = {s["payer"]: s["amount_fen"] for s in receipt["shares"]}
    assert shares["basic_insurance"] == 0  # the 200-yuan yearly deductible takes it all
    assert shares["medical_assistance"] == 920  # 50 % of 1840
    assert shares["safety_net_180"] == 736  # 80 % of 920
    assert receipt["patient_fen"] == 184 + 500
    assert receipt["insurers_fen"] + receipt["patient_fen"] == receipt["total_fen"]
    assert {s["payer"]: s["name"]["zh"] for s in receipt["shares"]}[
        "medical_assistance"
    ] == "医疗救助"
    page = api.get(f"/api/v1/settlements/{receipt['settlement_id']}/receipt.html", as_="doctor_a")
    assert page.mimetype == "text/html"
    assert "个人支付" in page.get_data(as_text=True) and "6.84" in page.get_data(as_text=True)


def count(database, model) -> int:
    with database.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_replaying_a_key_charges_once(api, users, database):
    patient = poor_chronic_patient(api)
    first = settle(api, bill(patient), key="counter-1-0001").get_json()
    for _ in range(100):
        again = settle(api, bill(patient), key="counter-1-0001")
        assert again.status_code == 201
        assert again.get_json() == first
    assert count(database, Settlement) == 1
    other = settle(api, bill(patient, visit_type="outpatient"), key="counter-1-0001")
    assert other.status_code == 409


def test_missing_idempotency_key_is_refused(api, users, database):
    patient = poor_chronic_patient(api)
    response = api.post("/api/v1/settlements", as_="doctor_a", json=bill(patient))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert count(database, Settlement) == 0


def ledger_of(database, patient_id: int, year: int) -> dict[str, int]:
    with database.sessionmaker() as session:
        ledger = session.get(Ledger, (patient_id, year))
        return {name: getattr(ledger, name) for name in ACCUMULATORS} if ledger else {}


def test_reversal_restores_the_ledger_once(api, users, database):
    patient = poor_chronic_patient(api)
    first = settle(api, bill(patient)).get_json()
    after_first = ledger_of(database, patient, 2026)
    second = settle(api, bill(patient)).get_json()
    reversed_ = api.post(
        f"/api/v1/settlements/{second['settlement_id']}/reversal",
        as_="admin",  # the bill is of an earlier day: only an admin may reverse it
        json={"reason": "wrong drug"},
    )
    assert reversed_.status_code == 200
    assert reversed_.get_json()["status"] == "reversed"
    assert ledger_of(database, patient, 2026) == after_first
    again = api.post(
        f"/api/v1/settlements/{second['settlement_id']}/reversal",
        as_="admin",
        json={"reason": "wrong drug"},
    )
    assert again.status_code == 409
    assert (
        api.get(f"/api/v1/settlements/{first['settlement_id']}", as_="doctor_a").get_json() == first
    )


@pytest.mark.parametrize(
    "change, field",
    [
        ({"items": [{"drug": "amlodipine-5mg-tab", "quantity": -1}]}, "body.items.0.quantity"),
        (
            {"items": [{"description": "x", "category": "Z", "quantity": 1, "unit_price_fen": 1}]},
            "body.items.0.category",
        ),
        ({"bill_date": "2018-12-31"}, "body.bill_date"),
        ({"visit_type": "inpatient"}, "body.visit_type"),
        ({"items": [{"drug": "no-such-drug", "quantity": 1}]}, "body.items.0.drug"),
    ],
)
def test_malformed_bills_write_nothing(api, users, database, change, field):
    patient = poor_chronic_patient(api)
    response = settle(api, bill(patient, **change))
    assert response.status_code == 422, response.get_json()
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert count(database, Settlement) == 0
    assert count(database, JournalEntry) == 0


def test_another_clinics_patient_is_404(api, users, database):
    patient = poor_chronic_patient(api)
    response = settle(api, bill(patient), as_="doctor_b")
    assert response.status_code == 404
    assert count(database, Settlement) == 0
    pharmacist = settle(api, bill(patient), as_="pharmacist")
    assert pharmacist.status_code == 403


def test_concurrent_settlements_equal_a_serial_replay(app, api, users, database):
    """20 counters settle 200 bills for one patient at once: the ledger ends exactly where settling
    the same bills one at a time, in commit order, ends; no cap is passed."""
    patient = poor_chronic_patient(api)
    token = users["doctor_a"].token
    bodies = [
        bill(
            patient,
            visit_type="outpatient" if i % 3 else "chronic_outpatient",
            items=[
                {
                    "description": f"项目{i}",
                    "category": "AB"[i % 2],
                    "quantity": 1 + i % 4,
                    "unit_price_fen": 2_000 + 37 * i,
                }
            ],
        )
        for i in range(200)
    ]

    def post(body):
        client = app.test_client()
        return client.post(
            "/api/v1/settlements",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(post, bodies))
    assert sorted({r.status_code for r in responses}) == [201]

    with database.sessionmaker() as session:
        settled = session.scalars(select(Settlement).order_by(Settlement.id)).all()
        policy = county_policies(session)[0]
        replayed = chain.Accumulators()
        for settlement in settled:
            items = tuple(
                chain.LineItem(line.category, line.quantity, line.unit_price_fen)
                for line in settlement.bill.lines
            )
            result = chain.settle(
                policy,
                chain.Bill(
                    settlement.bill.bill_date, settlement.bill.visit_type, Level.village, items
                ),
                chain.PatientFlags(poor=True, certified_chronic=True),
                replayed,
            )
            assert {s.payer: s.amount_fen for s in settlement.shares} == result.shares
            replayed = result.accumulators
    ledger = ledger_of(database, patient, 2026)
    assert ledger == {name: getattr(replayed, name) for name in ACCUMULATORS}
    assert ledger["basic_outpatient"] <= 40_000
    assert ledger["basic_chronic_outpatient"] <= 300_000
    assert ledger["medical_assistance"] <= 1_000_000
