"""Building blocks for follow-up API tests: a diagnosed, enrolled patient."""

from __future__ import annotations

import datetime as dt

from gpassist.db import shanghai_today


def today() -> dt.date:
    return shanghai_today()


def diagnosed_patient(api, diagnoses=("I10",), as_="doctor_a", **patient) -> int:
    """Register a patient (70 years old by default) with a visit confirming ``diagnoses``."""
    body = {"name": "钱老汉", "sex": "male", "birth_date": "1956-05-01", **patient}
    created = api.post("/api/v1/patients", as_=as_, json=body)
    assert created.status_code == 201, created.get_json()
    patient_id = created.get_json()["id"]
    visit = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_=as_,
        json={
            "chief_complaint": "确诊",
            "diagnoses": list(diagnoses),
            "occurred_at": "2024-01-02T09:00:00+08:00",
        },
    )
    assert visit.status_code == 201, visit.get_json()
    return patient_id


def enrol(api, patient_id: int, program="hypertension", as_="doctor_a", on: dt.date | None = None):
    body = {"program": program}
    if on is not None:
        body["enrolled_on"] = on.isoformat()
    response = api.post(f"/api/v1/patients/{patient_id}/enrolments", as_=as_, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def follow_up(api, patient_id: int, as_="doctor_a", expect=201, **body):
    if "visit_date" in body and isinstance(body["visit_date"], dt.date):
        body["visit_date"] = body["visit_date"].isoformat()
    response = api.post(f"/api/v1/patients/{patient_id}/follow-ups", as_=as_, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def worklist(api, kind: str, as_="doctor_a", **query) -> list[dict]:
    response = api.get(f"/api/v1/follow-ups/{kind}", as_=as_, query_string=query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]
