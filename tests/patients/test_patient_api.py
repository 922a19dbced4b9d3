"""Registering and finding patients through the API, and who may see them."""

from __future__ import annotations

import datetime as dt

import pytest

from gpassist.demo.population import synthetic_national_id
from gpassist.patients.tables import Sex


def new_patient(**overrides):
    body = {
        "name": "张三丰",
        "sex": "male",
        "birth_date": "1958-03-14",
        "phone": "13912345678",
        "drug_allergies": ["青霉素"],
    }
    body.update(overrides)
    return body


def register(api, as_="doctor_a", **overrides):
    response = api.post("/api/v1/patients", as_=as_, json=new_patient(**overrides))
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_doctor_registers_patient_at_own_clinic(api):
    national_id = synthetic_national_id(dt.date(1958, 3, 14), Sex.male, 7)
    patient = register(api, national_id=national_id)
    assert patient["clinic_code"] == "VA"
    assert patient["village"] == "甲村"
    assert patient["national_id"] == national_id
    assert patient["national_id_masked"] == national_id[:6] + "********" + national_id[-4:]
    assert patient["pregnancy_status"] == "not_applicable"
    fetched = api.get(f"/api/v1/patients/{patient['id']}", as_="doctor_a2").get_json()
    assert fetched["name"] == "张三丰"


def test_doctor_of_another_clinic_gets_404(api):
    patient = register(api)
    for method, url, body in [
        ("get", f"/api/v1/patients/{patient['id']}", None),
        ("patch", f"/api/v1/patients/{patient['id']}", {"phone": "13800000000"}),
        ("post", f"/api/v1/patients/{patient['id']}/encounters", {"chief_complaint": "头痛"}),
        ("get", f"/api/v1/patients/{patient['id']}/encounters", None),
    ]:
        response = getattr(api, method)(url, as_="doctor_b", json=body)
        assert response.status_code == 404, (method, url)
        assert response.mimetype == "application/problem+json"
    assert api.get("/api/v1/patients?q=张", as_="doctor_b").get_json()["items"] == []


def test_search_by_name_initials_and_id_tail(api):
    national_id = synthetic_national_id(dt.date(1970, 1, 2), Sex.female, 12)
    register(api, name="李秀英", sex="female", birth_date="1970-01-02", national_id=national_id)
    register(api, name="王建国")
    by_initials = api.get("/api/v1/patients?q=lxy", as_="doctor_a").get_json()
    assert [p["name"] for p in by_initials["items"]] == ["李秀英"]
    by_name = api.get("/api/v1/patients?q=建国", as_="doctor_a").get_json()
    assert [p["name"] for p in by_name["items"]] == ["王建国"]
    by_tail = api.get(f"/api/v1/patients?q={national_id[-4:]}", as_="doctor_a").get_json()
    assert [p["name"] for p in by_tail["items"]] == ["李秀英"]
    listed = by_tail["items"][0]
    assert "national_id" not in listed
    assert "*" in listed["national_id_masked"] and "*" in listed["phone_masked"]


def test_pharmacist_and_specialist_cannot_create_encounters(api):
    patient = register(api)
    for role in ("pharmacist", "specialist"):
        response = api.post(
            f"/api/v1/patients/{patient['id']}/encounters", as_=role, json={"chief_complaint": "x"}
        )
        assert response.status_code == 403
        assert response.get_json()["type"] == "/problems/forbidden"


def test_invalid_resident_id_names_the_field(api):
    response = api.post(
        "/api/v1/patients", as_="doctor_a", json=new_patient(national_id="341899195803141234")
    )
    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["errors"]]
    assert fields == ["body.national_id"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"birth_date": "2999-01-01"}, "body.birth_date"),
        ({"sex": "unknown"}, "body.sex"),
        ({"name": ""}, "body.name"),
        ({"name": "a\x00b"}, "body.name"),
        ({"pregnancy_status": "pregnant"}, "body.pregnancy_status"),
        ({"surprise": 1}, "body.surprise"),
    ],
)
def test_bad_patient_fields_are_422_with_path(api, change, field):
    response = api.post("/api/v1/patients", as_="doctor_a", json=new_patient(**change))
    assert response.status_code == 422, response.get_json()
    assert field in [e["field"] for e in response.get_json()["errors"]]
    assert api.get("/api/v1/patients", as_="doctor_a").get_json()["total"] == 0
