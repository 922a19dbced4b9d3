"""Hostile or unlucky input gets a clear 4xx, never a 500."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from gpassist.demo.population import synthetic_national_id
from gpassist.patients.tables import Sex


def test_deeply_nested_json_is_400(api, users):
    response = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        data="[" * 100_000,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"


def test_body_that_is_not_json_is_415_or_400(api, users):
    form = api.post("/api/v1/patients", as_="doctor_a", data="name=x")
    assert form.status_code == 415
    broken = api.post(
        "/api/v1/patients", as_="doctor_a", data="{", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400


def test_nul_and_odd_codes_in_paths_are_404(api, users):
    for url in ("/api/v1/facilities/%00", "/api/v1/drugs/a%00b", "/api/v1/drugs/%E2%80%8F"):
        assert api.get(url, as_="doctor_a").status_code == 404, url


def test_ids_beyond_bigint_are_404(api, users):
    assert api.get("/api/v1/patients/99999999999999999999999", as_="doctor_a").status_code == 404
    assert api.get("/api/v1/patients/0", as_="doctor_a").status_code == 404


def test_simultaneous_registrations_of_one_resident_id(app, users):
    """Eight counters register the same person at once: one succeeds, the rest are told why."""
    national_id = synthetic_national_id(dt.date(1950, 6, 1), Sex.female, 3)
    body = {
        "name": "孙桂兰",
        "sex": "female",
        "birth_date": "1950-06-01",
        "national_id": national_id,
    }
    auth = {"Authorization": f"Bearer {users['doctor_a'].token}"}

    def register(_):
        return app.test_client().post("/api/v1/patients", json=body, headers=auth).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(register, range(8)))
    assert statuses == [201] + [409] * 7
