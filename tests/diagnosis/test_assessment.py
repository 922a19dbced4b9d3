"""assess(): the one path from a case to a ranking and a triage decision, on the committed
``general`` model and the demo county's epidemiology; and /suggest's use of it."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from gpassist.clinics.schemas import EpidemiologyFile
from gpassist.db import shanghai_today
from gpassist.diagnosis.assessment import CaseInput, assess, derive_findings
from gpassist.diagnosis.runtime import load_model
from gpassist.patients.schemas import age_on
from tests.conftest import DEMO_COUNTY
from tests.followup.helpers import diagnosed_patient, enrol

from .fixtures_ml import COMMITTED

P, A = "present", "absent"
RESPIRATORY_INFECTIONS = {
    "acute-upper-respiratory-infection",
    "common-cold",
    "acute-bronchitis",
    "flu",
    "pneumonia",
    "covid-19",
}


@pytest.fixture(scope="module")
def general():
    return load_model(COMMITTED / "general")


@pytest.fixture(scope="module")
def county():
    text = (DEMO_COUNTY / "epidemiology.yaml").read_text(encoding="utf-8")
    return EpidemiologyFile.model_validate(yaml.safe_load(text))


def codes(assessment, n):
    return [r.condition.code for r in assessment.ranking.ranked[:n]]


def test_cough_and_fever_in_december_is_a_respiratory_infection(general, county):
    evidence = {"cough": P, "fever": P, "sore-throat": A, "nasal-congestion": A}
    evidence["shortness-of-breath"] = A
    case = CaseInput(evidence, 35, "male", {"temperature_c": 38.6, "spo2": 97}, 12, county)
    result = assess(general, case)
    assert codes(result, 1)[0] in RESPIRATORY_INFECTIONS, codes(result, 5)
    for serious in ("myocarditis", "meningitis"):
        entry = next(r for r in result.ranking.ranked if r.condition.code == serious)
        assert entry.probability < 0.05, (serious, entry.probability)


def test_cough_alone_is_not_kaposi_sarcoma(general, county):
    result = assess(general, CaseInput({"cough": P}, 40, "female", {}, 3, county))
    assert "kaposi-sarcoma" not in codes(result, 10)
    assert codes(result, 1)[0] in RESPIRATORY_INFECTIONS | {"laryngitis"}


def test_a_known_hypertensive_with_dizziness_and_headache_has_hypertension_in_the_top_3(
    general, county
):
    case = CaseInput(
        {"dizziness": P, "headache": P},
        62,
        "male",
        {"sbp": 158, "dbp": 96},
        12,
        county,
        history=("history-hypertension",),
    )
    result = assess(general, case)
    assert "high-blood-pressure" in codes(result, 3), codes(result, 5)
    assert "heat-exhaustion" not in codes(result, 10)  # December in Anhui
    derived = {d.code: d.source for d in result.derived_findings}
    assert derived == {"elevated-blood-pressure": "vitals.sbp", "history-hypertension": "record"}


def test_a_tick_bite_with_fever_and_low_platelets_in_june_is_sfts(general, county):
    evidence = {"exposure-tick-bite": P, "fever": P, "low-platelets": P}
    result = assess(general, CaseInput(evidence, 58, "female", {}, 6, county))
    assert codes(result, 1) == ["sfts"], codes(result, 5)


def test_the_season_moves_sfts_but_not_the_evidence(general, county):
    evidence = {"exposure-tick-bite": P, "fever": P, "low-platelets": P}
    june = assess(general, CaseInput(evidence, 58, "female", {}, 6, county))
    january = assess(general, CaseInput(evidence, 58, "female", {}, 1, county))
    neutral = assess(general, CaseInput(evidence, 58, "female", {}, 1, None))

    def sfts(result):
        return next(r.probability for r in result.ranking.ranked if r.condition.code == "sfts")

    assert sfts(june) > sfts(neutral) > sfts(january)


def test_an_absent_condition_needs_travel(general, county):
    evidence = {"fever": P, "skin-rash": P, "headache": P}
    if "rocky-mountain-spotted-fever" not in general.conditions:
        pytest.skip("the KB has no Rocky Mountain spotted fever")

    def rmsf(result):
        return next(
            r.probability
            for r in result.ranking.ranked
            if r.condition.code == "rocky-mountain-spotted-fever"
        )

    home = assess(general, CaseInput(evidence, 30, "male", {}, 7, county))
    away = assess(general, CaseInput({**evidence, "exposure-travel": P}, 30, "male", {}, 7, county))
    assert rmsf(away) > 1000 * rmsf(home)


@pytest.mark.parametrize(
    ("evidence", "vitals", "expected"),
    [
        ({}, {"temperature_c": 37.3}, {"fever"}),
        ({}, {"temperature_c": 37.2}, set()),
        ({"fever": A}, {"temperature_c": 38.5}, set()),  # the doctor's word stands
        ({}, {"sbp": 140, "dbp": 80}, {"elevated-blood-pressure"}),
        ({}, {"sbp": 139, "dbp": 90}, {"elevated-blood-pressure"}),
        ({}, {"sbp": 139, "dbp": 89}, set()),
        ({"elevated-blood-pressure": A}, {"sbp": 170, "dbp": 100}, set()),
    ],
)
def test_vitals_become_findings_at_their_thresholds(evidence, vitals, expected):
    assert {d.code for d in derive_findings(evidence, vitals)} == expected


def test_the_probabilities_reach_triage(general, county, monkeypatch):
    seen = {}

    def spy(evidence, vitals, age, top_conditions, rules=None, age_months=None):
        seen["top"] = list(top_conditions)
        seen["age_months"] = age_months
        return real(evidence, vitals, age, top_conditions, age_months=age_months)

    from gpassist.diagnosis import assessment

    real = assessment.triage
    monkeypatch.setattr(assessment, "triage", spy)
    result = assess(general, CaseInput({"cough": P}, 40, "female", {}, 3, county))
    top = seen["top"]
    assert [t.code for t in top] == codes(result, len(top))
    assert top[0].probability == pytest.approx(result.ranking.ranked[0].probability)
    assert seen["age_months"] is None


@pytest.mark.parametrize(
    ("months", "expected"), [(2, "emergency"), (4, "refer"), (None, "emergency")]
)
def test_an_infants_months_reach_triage(general, county, months, expected):
    case = CaseInput({"fever": P}, 0, "male", {"temperature_c": 38.0}, 3, county, age_months=months)
    assert assess(general, case).triage_decision.level == expected


# --- through /suggest ---------------------------------------------------------------------


def test_suggest_lists_the_findings_it_derived_and_the_month_changes_the_season(api, installed):
    body = {"age": 30, "sex": "male", "evidence": {"cough": P}, "vitals": {"temperature_c": 38.4}}
    january = api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json={**body, "month": 1})
    june = api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json={**body, "month": 6})
    assert january.status_code == 200, january.get_json()
    derived = january.get_json()["derived_findings"]
    assert [(d["code"], d["source"], d["value"]) for d in derived] == [
        ("fever", "vitals.temperature_c", 38.4)
    ]
    assert derived[0]["zh"] and derived[0]["en"]

    def odds(response, a, b):
        p = {d["code"]: d["probability"] for d in response.get_json()["differential"]}
        return p[a] / p[b]

    # the mini county's flu season: ×3 in January, ×1 in June, nothing else changes
    in_january = {d["code"] for d in january.get_json()["differential"]}
    in_june = [d["code"] for d in june.get_json()["differential"]]
    other = next(c for c in in_june if c != "flu" and c in in_january)
    assert "flu" in in_january and "flu" in in_june
    assert odds(january, "flu", other) == pytest.approx(3 * odds(june, "flu", other), rel=1e-3)


def test_an_enrolled_hypertensive_gets_history_from_the_record(api, installed):
    patient_id = diagnosed_patient(api, birth_date="1964-03-01")
    enrol(api, patient_id)
    visit = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "头晕头痛", "vitals": {"sbp": 158, "dbp": 96}},
    )
    assert visit.status_code == 201, visit.get_json()
    body = {
        "age": age_on(dt.date(1964, 3, 1), shanghai_today()),
        "sex": "male",
        "evidence": {"dizziness": P, "headache": P},
        "encounter_id": visit.get_json()["id"],
        "month": 12,
    }
    response = api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json=body)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    derived = {d["code"]: d["source"] for d in result["derived_findings"]}
    assert derived["history-hypertension"] == "record"
    assert derived["elevated-blood-pressure"] == "vitals.sbp"  # from the encounter's vitals
    assert "high-blood-pressure" in [d["code"] for d in result["differential"][:3]]

    # the doctor's own answer wins over the record
    body["evidence"] = {**body["evidence"], "history-hypertension": A}
    again = api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json=body).get_json()
    assert "history-hypertension" not in {d["code"] for d in again["derived_findings"]}


# --- an infant's months: from the birth date on an encounter, else as sent ----------------------


def _infant_visit(api, days_old: int) -> tuple[int, int]:
    born = shanghai_today() - dt.timedelta(days=days_old)
    body = {"name": "小宝", "sex": "female", "birth_date": born.isoformat()}
    created = api.post("/api/v1/patients", as_="doctor_a", json=body)
    assert created.status_code == 201, created.get_json()
    patient_id = created.get_json()["id"]
    visit = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "发热", "vitals": {"temperature_c": 38.0}},
    )
    assert visit.status_code == 201, visit.get_json()
    return patient_id, visit.get_json()["id"]


def _infant_suggest(api, **body):
    body = {"age": 0, "sex": "female", "evidence": {"fever": P}, **body}
    return api.post("/api/v1/diagnosis/suggest", as_="doctor_a", json=body)


def test_suggest_reads_an_infants_months(api, installed):
    vitals = {"temperature_c": 38.0}
    # months not known: age 0 could be under 3 months (NICE NG143 red)
    unknown = _infant_suggest(api, vitals=vitals).get_json()["triage"]
    assert unknown["level"] == "emergency"
    sent = _infant_suggest(api, vitals=vitals, age_months=4)
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["triage"]["level"] == "refer"
    assert _infant_suggest(api, vitals=vitals, age_months=2).get_json()["triage"]["level"] == (
        "emergency"
    )


def test_months_that_contradict_the_age_are_refused(api, installed):
    response = _infant_suggest(api, age=1, age_months=4)
    assert response.status_code == 422
    assert "age_months" in str(response.get_json())
    assert _infant_suggest(api, age_months=24).status_code == 422


def test_on_an_encounter_the_months_come_from_the_birth_date(api, installed):
    # 130 days old: 4 months whatever today's date, so 38 °C is referred, not sent by 120,
    # even when the doctor sends no months (or wrong ones)
    _, encounter_id = _infant_visit(api, days_old=130)
    for months in (None, 1):
        extra = {} if months is None else {"age_months": months}
        response = _infant_suggest(api, encounter_id=encounter_id, **extra)
        assert response.status_code == 200, response.get_json()
        triage = response.get_json()["triage"]
        assert triage["level"] == "refer"
        assert "fever_in_infant" in [r["code"] for r in triage["reasons"]]
    _, young = _infant_visit(api, days_old=40)  # 1 month
    triage = _infant_suggest(api, encounter_id=young).get_json()["triage"]
    assert triage["level"] == "emergency"
    assert "fever_under_3_months" in [r["code"] for r in triage["reasons"]]
