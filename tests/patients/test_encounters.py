"""Recording visits: vitals checked, times in UTC shown in Shanghai, diagnoses confirmed later."""

from __future__ import annotations

import datetime as dt

from tests.patients.test_patient_api import register

VISIT = {
    "occurred_at": "2026-11-20T09:30:00+08:00",
    "chief_complaint": "头晕三天",
    "symptoms": ["dizziness", "headache"],
    "vitals": {"sbp": 168, "dbp": 98, "heart_rate": 88, "temperature_c": 36.6, "spo2": 97},
    "notes": "血压偏高",
}


def test_visit_is_recorded_and_read_back_in_shanghai_time(api, users):
    patient = register(api)
    created = api.post(f"/api/v1/patients/{patient['id']}/encounters", as_="doctor_a", json=VISIT)
    assert created.status_code == 201, created.get_json()
    visit = created.get_json()
    assert visit["occurred_at"] == "2026-11-20T09:30:00+08:00"
    assert visit["vitals"]["sbp"] == 168
    assert visit["doctor_id"] == users["doctor_a"].id
    assert visit["clinic_code"] == "VA"
    again = api.get(f"/api/v1/encounters/{visit['id']}", as_="doctor_a2").get_json()
    assert again == visit


def test_utc_input_is_the_same_instant(api, users):
    patient = register(api)
    visit = api.post(
        f"/api/v1/patients/{patient['id']}/encounters",
        as_="doctor_a",
        json={**VISIT, "occurred_at": "2026-11-20T01:30:00Z"},
    ).get_json()
    assert visit["occurred_at"] == "2026-11-20T09:30:00+08:00"


def test_history_is_newest_first(api, users):
    patient = register(api)
    url = f"/api/v1/patients/{patient['id']}/encounters"
    for day in ("2026-10-01", "2026-11-01", "2026-09-01"):
        api.post(url, as_="doctor_a", json={**VISIT, "occurred_at": f"{day}T08:00:00+08:00"})
    days = [e["occurred_at"][:10] for e in api.get(url, as_="doctor_a").get_json()["items"]]
    assert days == ["2026-11-01", "2026-10-01", "2026-09-01"]


def test_doctor_confirms_diagnoses_after_the_visit(api, users):
    patient = register(api)
    visit = api.post(
        f"/api/v1/patients/{patient['id']}/encounters", as_="doctor_a", json=VISIT
    ).get_json()
    confirmed = api.patch(
        f"/api/v1/encounters/{visit['id']}", as_="doctor_a", json={"diagnoses": ["I10", "E11.9"]}
    )
    assert confirmed.get_json()["diagnoses"] == ["I10", "E11.9"]
    bad = api.patch(
        f"/api/v1/encounters/{visit['id']}", as_="doctor_a", json={"diagnoses": ["高血压"]}
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "body.diagnoses.0"
    assert api.get(f"/api/v1/encounters/{visit['id']}", as_="doctor_b").status_code == 404
    other_clinic = api.patch(
        f"/api/v1/encounters/{visit['id']}", as_="doctor_b", json={"diagnoses": ["I10"]}
    )
    assert other_clinic.status_code == 404


def post_visit(api, patient_id, **changes):
    return api.post(
        f"/api/v1/patients/{patient_id}/encounters", as_="doctor_a", json={**VISIT, **changes}
    )


def test_impossible_vitals_are_refused_with_their_path(api, users):
    patient = register(api)
    cases = {
        "body.vitals": {"vitals": {"sbp": 120, "dbp": 130}},
        "body.vitals.spo2": {"vitals": {"spo2": 130}},
        "body.vitals.temperature_c": {"vitals": {"temperature_c": 3.7}},
        "body.occurred_at": {"occurred_at": "2026-11-20T09:30:00"},
    }
    for field, change in cases.items():
        response = post_visit(api, patient["id"], **change)
        assert response.status_code == 422, change
        assert field in [e["field"] for e in response.get_json()["errors"]], change
    history = api.get(f"/api/v1/patients/{patient['id']}/encounters", as_="doctor_a")
    assert history.get_json()["items"] == []


def test_visit_in_the_future_is_refused(api, users):
    patient = register(api)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    response = post_visit(api, patient["id"], occurred_at=tomorrow)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body.occurred_at"


def test_admin_reads_but_does_not_record_visits(api, users):
    patient = register(api)
    visit = post_visit(api, patient["id"]).get_json()
    assert api.get(f"/api/v1/encounters/{visit['id']}", as_="admin").status_code == 200
    assert post_visit(api, patient["id"]).status_code == 201
    admin_write = api.post(f"/api/v1/patients/{patient['id']}/encounters", as_="admin", json=VISIT)
    assert admin_write.status_code == 403
    assert api.get(f"/api/v1/encounters/{visit['id']}", as_="specialist").status_code == 403
