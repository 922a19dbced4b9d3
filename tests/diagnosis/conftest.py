"""Fixtures for the diagnosis service tests: the committed models and a visit to suggest on."""

from __future__ import annotations

import pytest

from gpassist.diagnosis import runtime


@pytest.fixture(scope="session")
def installed():
    """The committed models, as the service loads them at start (once per process)."""
    models = runtime.load_models()
    assert runtime.DEFAULT_MODEL in models, (
        "the committed general model (gpassist/models/diagnosis/general/model.onnx) is missing"
    )
    return models


@pytest.fixture
def encounter(api):
    """A visit of a 30-year-old man at doctor_a's clinic (VA); returns its id."""
    patient = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={"name": "李建国", "sex": "male", "birth_date": "1996-04-02"},
    )
    assert patient.status_code == 201, patient.get_json()
    visit = api.post(
        f"/api/v1/patients/{patient.get_json()['id']}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "发热咳嗽咽痛两天", "vitals": {"sbp": 122, "dbp": 78}},
    )
    assert visit.status_code == 201, visit.get_json()
    return visit.get_json()["id"]
