"""Households (poverty registration 建档立卡) belong to a clinic like its patients."""

from __future__ import annotations

from tests.patients.test_patient_api import register


def new_household(api, as_="doctor_a", **changes):
    body = {
        "head_name": "周德福",
        "poverty_registered": True,
        "poverty_registered_on": "2016-03-01",
    }
    body.update(changes)
    response = api.post("/api/v1/households", as_=as_, json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_poverty_registration_flows_to_the_members(api, users):
    household = new_household(api)
    assert household["code"].startswith("H")
    member = register(api, household_id=household["id"])
    assert member["poverty_registered"] is True
    assert member["household"]["code"] == household["code"]
    listed = api.get("/api/v1/patients", as_="doctor_a").get_json()["items"]
    assert listed[0]["poverty_registered"] is True


def test_other_clinics_household_is_invisible(api, users):
    household = new_household(api)
    assert api.get(f"/api/v1/households/{household['id']}", as_="doctor_b").status_code == 404
    assert api.get(f"/api/v1/households/{household['id']}", as_="admin").status_code == 200
    response = api.post(
        "/api/v1/patients",
        as_="doctor_b",
        json={
            "name": "吴",
            "sex": "male",
            "birth_date": "1950-01-01",
            "household_id": household["id"],
        },
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "body.household_id"


def test_household_codes_are_unique(api, users):
    new_household(api, code="JD-0001")
    again = api.post(
        "/api/v1/households", as_="doctor_b", json={"head_name": "x", "code": "JD-0001"}
    )
    assert again.status_code == 409
