"""Each county settles with its own payer policy, the one ``load-clinics`` stored with it.

tests/data/other-county is the mini county with another policy (its header lists what differs).
The same two bills are settled in a fresh database holding one county or the other; every share
below is computed by hand from that county's policy file.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.service import create_user, issue_token
from gpassist.auth.tables import Role
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.settlement.policy import Payer
from tests.conftest import ROOT

DATA = ROOT / "tests" / "data"
DAY = "2026-03-02"

# Outpatient at village clinic VA, poverty-registered patient:
#   consult-general 1 × 1000 (A) + 60 × 150 = 9000 (B, rosuvastatin's price) + 200 × 30 (A,
#   amlodipine's price)
#   mini:  B self-pay 10 % = 900; E = 15100; basic 55 % = 8305 (cap 40000); R = 6795;
#          assistance 50 % = 3397.5 → 3398; patient 3397 + 900 = 4297
#   other: B self-pay 20 % = 1800; E = 14200; basic 70 % = 9940, capped at 6000; R = 8200;
#          assistance 40 % = 3280; patient 4920 + 1800 = 6720
OUTPATIENT = {
    "mini-county": {"basic_insurance": 8305, "medical_assistance": 3398, "patient": 4297},
    "other-county": {"basic_insurance": 6000, "medical_assistance": 3280, "patient": 6720},
}
# Chronic outpatient at VA, certified, not poverty-registered:
#   consult-general 1 × 1000 (A) + 500 × 30 (A, amlodipine's price) = 16000, all eligible
#   mini:  the 200-yuan deductible takes it all: basic 0, patient 16000
#   other: 100-yuan deductible, 65 % of the other 6000 = 3900; patient 12100
CHRONIC = {
    "mini-county": {"basic_insurance": 0, "patient": 16000},
    "other-county": {"basic_insurance": 3900, "patient": 12100},
}


@pytest.fixture
def county_api(empty_database_url, tmp_path):
    """``(call, county)``: a fresh database holding only the county asked for, its doctor's API."""
    made = []

    def open_county(county: str):
        app = create_app(
            {
                "DATABASE_URL": empty_database_url,
                "INSTANCE_PATH": str(tmp_path / "instance"),
                "SECRET_KEY": "test-only-secret",
                "LOG_LEVEL": "WARNING",
            }
        )
        database = app.extensions["gpassist.db"]
        made.append(database)
        metadata.create_all(database.engine)
        with database.transaction(actor="test") as session:
            apply_registry(session, read_registry(DATA / county))
            doctor = create_user(
                session,
                username="doctor",
                display_name="Doctor",
                password="correct horse battery staple",
                role=Role.village_doctor,
                clinic_code="VA",
            )
            token = issue_token(session, doctor, ttl=dt.timedelta(hours=1)).token
        client = app.test_client()

        def call(method: str, url: str, **kwargs):
            headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
            return client.open(url, method=method, headers=headers, **kwargs)

        return call

    yield open_county
    for database in made:
        database.dispose()


def patient(call, *, poor: bool, certified: bool) -> int:
    household = call(
        "POST", "/api/v1/households", json={"head_name": "户主", "poverty_registered": poor}
    ).get_json()
    made = call(
        "POST",
        "/api/v1/patients",
        json={
            "name": "刘桂英",
            "sex": "female",
            "birth_date": "1950-01-01",
            "household_id": household["id"],
        },
    ).get_json()
    if certified:
        response = call(
            "POST",
            f"/api/v1/patients/{made['id']}/certifications",
            json={
                "disease": "hypertension",
                "certified_on": "2025-01-01",
                "certifying_facility": "CH",
            },
        )
        assert response.status_code == 201, response.get_json()
    return made["id"]


def settle(call, body):
    return call(
        "POST", "/api/v1/settlements", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
    )


def shares_of(receipt) -> dict[str, int]:
    """Every payer's share and the patient's."""
    paid = {s["payer"]: s["amount_fen"] for s in receipt["shares"]}
    return {**dict.fromkeys(Payer, 0), **paid, "patient": receipt["patient_fen"]}


def expected(shares: dict[str, int]) -> dict[str, int]:
    """The shares named, every other payer 0."""
    return {**dict.fromkeys(Payer, 0), **shares}


@pytest.mark.parametrize("county", ["mini-county", "other-county"])
def test_an_outpatient_bill_is_paid_with_the_countys_numbers(county_api, county):
    call = county_api(county)
    body = {
        "patient_id": patient(call, poor=True, certified=False),
        "visit_type": "outpatient",
        "bill_date": DAY,
        "items": [
            {"service": "consult-general", "quantity": 1},
            # drug lines need a prescription of the visit (test_visit_bill.py); to the payer
            # chain a free line of the drug's category and price is the same line
            {"description": "B类项目", "category": "B", "quantity": 60, "unit_price_fen": 150},
            {"description": "A类项目", "category": "A", "quantity": 200, "unit_price_fen": 30},
        ],
    }
    response = settle(call, body)
    assert response.status_code == 201, response.get_json()
    receipt = response.get_json()
    assert receipt["total_fen"] == 16000
    assert shares_of(receipt) == expected(OUTPATIENT[county])


@pytest.mark.parametrize("county", ["mini-county", "other-county"])
def test_a_chronic_bill_meets_the_countys_deductible(county_api, county):
    call = county_api(county)
    body = {
        "patient_id": patient(call, poor=False, certified=True),
        "visit_type": "chronic_outpatient",
        "bill_date": DAY,
        "items": [
            {"service": "consult-general", "quantity": 1},
            {"description": "A类项目", "category": "A", "quantity": 500, "unit_price_fen": 30},
        ],
    }
    response = settle(call, body)
    assert response.status_code == 201, response.get_json()
    assert shares_of(response.get_json()) == expected(CHRONIC[county])


@pytest.mark.parametrize(("county", "settled"), [("mini-county", True), ("other-county", False)])
def test_a_bill_before_the_countys_first_policy_is_refused(county_api, county, settled):
    # The mini county's policy is in force from 2019, the other county's only from 2020.
    call = county_api(county)
    body = {
        "patient_id": patient(call, poor=False, certified=False),
        "visit_type": "outpatient",
        "bill_date": "2019-06-01",
        "items": [{"service": "consult-general", "quantity": 1}],
    }
    response = settle(call, body)
    if settled:
        assert response.status_code == 201, response.get_json()
        return
    assert response.status_code == 422
    problem = response.get_json()
    assert "No settlement policy is in force on 2019-06-01" in str(problem)
