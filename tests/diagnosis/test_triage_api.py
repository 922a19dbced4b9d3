"""Triage through the suggest endpoint: the early-warning scores and their reasons reach the
answer, and a presentation's red flag does not depend on what the committed model ranks."""

from __future__ import annotations

P = "present"


def suggest(api, **body):
    body = {"age": 30, "sex": "male", "evidence": {"fever": P, "cough": P}, **body}
    response = api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["triage"]


def test_the_answer_carries_news2_with_its_points_and_what_is_missing(api, installed):
    vitals = {
        "temperature_c": 38.6,
        "spo2": 92,
        "respiratory_rate": 22,
        "supplemental_oxygen": False,
    }
    triage = suggest(api, vitals=vitals)
    assert triage["level"] == "refer"
    (score,) = triage["scores"]
    assert (score["name"], score["total"], score["band"]) == ("news2", 5, "medium")
    points = {item["parameter"]: item["points"] for item in score["items"]}
    assert points == {
        "respiratory_rate": 2,
        "spo2": 2,
        "supplemental_oxygen": 0,
        "temperature_c": 1,
    }
    assert score["missing"] == ["sbp", "heart_rate", "consciousness"]
    assert score["source"]["en"].startswith("Royal College of Physicians")
    by_code = {r["code"]: r for r in triage["reasons"]}
    assert by_code["news2"]["missing"] == ["sbp", "heart_rate", "consciousness"]
    assert by_code["hypoxaemia"]["value"] == 92
    assert by_code["fever_with_fast_breathing"]["value"] == 22


def test_a_child_is_scored_with_pews(api, installed):
    triage = suggest(api, age=2, vitals={"heart_rate": 175, "respiratory_rate": 52})
    (score,) = triage["scores"]
    assert (score["name"], score["total"], score["level"]) == ("pews", 5, "refer")
    assert triage["level"] == "refer"


def test_cough_and_fever_with_normal_vitals_is_treated_here(api, installed):
    vitals = {"temperature_c": 38.6, "spo2": 97, "heart_rate": 88, "respiratory_rate": 18}
    triage = suggest(api, vitals={**vitals, "sbp": 124, "dbp": 78})
    assert triage["level"] != "emergency"
    assert all(r["level"] != "emergency" for r in triage["reasons"])
