"""The administrators' county overview adds up what happened: money by payer, consultations,
pharmacy orders — for the county or one town, JSON or CSV."""

from __future__ import annotations

import csv
import io

from tests.patients.test_patient_api import register


def visit(api, patient_id: int) -> int:
    answer = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "头晕", "vitals": {"sbp": 150, "dbp": 90}},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def settle(api, patient_id: int, key: str) -> dict:
    answer = api.post(
        "/api/v1/settlements",
        as_="doctor_a",
        # (a drug line needs a prescription of the visit; the overview only adds up the money)
        json={"patient_id": patient_id, "items": [{"service": "consult-general", "quantity": 1}]},
        headers={"Idempotency-Key": key},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_the_overview_adds_up_settlements_consultations_and_orders(api):
    patient = register(api)["id"]
    receipts = [settle(api, patient, "overview-1"), settle(api, patient, "overview-2")]
    encounter = visit(api, patient)
    consult = api.post(
        f"/api/v1/encounters/{encounter}/consultations",
        as_="doctor_a",
        json={"reason": "血压控制差", "urgency": "routine", "department": "cardiology"},
    )
    assert consult.status_code == 201, consult.get_json()
    prescription = api.post(
        f"/api/v1/encounters/{encounter}/prescriptions",
        as_="doctor_a",
        json={
            "lines": [{"drug": "rosuvastatin-10mg-tab", "dose": 10, "frequency": "qd", "days": 7}]
        },
    )
    assert prescription.status_code == 201, prescription.get_json()

    county = api.get("/api/v1/reports/overview", as_="admin").get_json()
    assert county["settlements"] == 2
    assert county["total_fen"] == sum(r["total_fen"] for r in receipts)
    assert county["patient_fen"] == sum(r["patient_fen"] for r in receipts)
    paid = {p["payer"]: p["amount_fen"] for p in county["by_payer"]}
    for r in receipts:
        for share in r["shares"]:
            paid[share["payer"]] -= share["amount_fen"]
    assert set(paid.values()) == {0}
    assert county["total_fen"] == county["insurers_fen"] + county["patient_fen"]
    states = {c["code"]: c["count"] for c in county["consultations_by_state"]}
    assert states["requested"] == 1 and county["consultations"] == 1
    assert [d["code"] for d in county["consultations_by_department"]] == ["CH/cardiology"]
    assert {c["code"]: c["count"] for c in county["orders_by_status"]}["pending"] == 1
    assert [(t["code"], t["count"]) for t in county["orders_by_town"]] == [("T1", 1)]

    other_town = api.get("/api/v1/reports/overview?town=T2", as_="admin").get_json()
    assert other_town["settlements"] == 0 and other_town["orders"] == 0

    exported = api.get("/api/v1/reports/overview.csv", as_="admin")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["settlements", "count", "结算笔数", "settlements", "2"] in rows


def test_the_overview_is_for_admins_and_refuses_a_bad_period(api):
    assert api.get("/api/v1/reports/overview", as_="doctor_a").status_code == 403
    backwards = api.get("/api/v1/reports/overview?start=2026-05-02&end=2026-05-01", as_="admin")
    assert backwards.status_code == 422
    unknown = api.get("/api/v1/reports/overview?town=NOPE", as_="admin")
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "query.town"
