"""Reading the registry through the API."""

from __future__ import annotations


def test_facilities_by_kind_and_town(api, users):
    clinics = api.get("/api/v1/facilities?kind=village_clinic", as_="pharmacist").get_json()
    assert [f["code"] for f in clinics["items"]] == ["VA", "VB", "VC"]
    assert clinics["items"][0]["village"] == {"zh": "甲村", "en": "Jiacun"}
    in_t2 = api.get("/api/v1/facilities?town=T2", as_="doctor_a").get_json()
    assert [f["code"] for f in in_t2["items"]] == ["VB", "VC"]


def test_hospital_departments(api, users):
    hospital = api.get("/api/v1/facilities/CH", as_="specialist").get_json()
    assert hospital["level"] == "county"
    assert [d["code"] for d in hospital["departments"]] == ["cardiology", "endocrinology"]
    assert api.get("/api/v1/facilities/NOPE", as_="specialist").status_code == 404


def test_formulary_filter_shows_what_a_clinic_stocks(api, users):
    stocked_b = api.get("/api/v1/drugs?clinic=VB", as_="doctor_b").get_json()["items"]
    assert {d["code"] for d in stocked_b} == {"amlodipine-5mg-tab", "banlangen-granules"}
    everything = api.get("/api/v1/drugs", as_="doctor_b").get_json()["items"]
    assert len(everything) == 4
    found = api.get("/api/v1/drugs?q=二甲双胍", as_="doctor_b").get_json()["items"]
    assert [d["code"] for d in found] == ["metformin-500mg-tab"]
    banlangen = api.get("/api/v1/drugs/banlangen-granules", as_="doctor_b").get_json()
    assert banlangen["tcm_syndromes"] == [{"zh": "风热感冒", "en": "wind-heat common cold"}]
    assert api.get("/api/v1/drugs?clinic=NOPE", as_="doctor_b").status_code == 404


def test_like_wildcards_are_literal(api, users):
    assert api.get("/api/v1/drugs?q=%25", as_="doctor_a").get_json()["items"] == []
    assert api.get("/api/v1/drugs?q=_", as_="doctor_a").get_json()["items"] == []


def test_service_items_need_a_token(api, client, users):
    assert client.get("/api/v1/service-items").status_code == 401
    items = api.get("/api/v1/service-items", as_="doctor_a").get_json()["items"]
    assert items[0]["unit_price_fen"] == 1000
