"""A suggestion made on an encounter reads the visit's own facts: its recorded vitals and the
patient's known chronic conditions (POST /api/v1/tcm/suggest with encounter_id)."""

from __future__ import annotations

from gpassist.tcm.runtime import NO_CARDINAL_FINDING_NOTE
from tests.followup.helpers import diagnosed_patient, enrol, follow_up

# A headache with the findings of 肝阳上亢: the learned model's only if dizziness or high blood
# pressure goes with it (runtime.cardinal_findings), which the complaint itself does not say.
HEADACHE = {
    "chief_complaint": "头痛2天",
    "symptoms_text": "头胀痛，急躁易怒，口苦，面红",
    "tongue_pulse_text": "舌红，苔黄，脉弦",
}


def suggest(api, **body) -> dict:
    response = api.post("/api/v1/tcm/suggest", as_="doctor_a", json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def new_patient(api) -> int:
    body = {"name": "赵大伯", "sex": "male", "birth_date": "1958-04-06"}
    created = api.post("/api/v1/patients", as_="doctor_a", json=body)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def visit(api, patient: int, **vitals) -> int:
    body = {"chief_complaint": "头痛2天", "vitals": vitals}
    created = api.post(f"/api/v1/patients/{patient}/encounters", as_="doctor_a", json=body)
    assert created.status_code == 201, created.get_json()
    return created.get_json()["id"]


def outside_scope(out: dict) -> bool:
    return NO_CARDINAL_FINDING_NOTE["zh"] in [n["zh"] for n in out["scope_notes"]]


def test_a_headache_with_a_high_recorded_blood_pressure_is_in_the_learned_models_scope(api, users):
    patient = new_patient(api)
    high = visit(api, patient, sbp=165, dbp=100, heart_rate=88, temperature_c=36.8)
    out = suggest(api, encounter_id=high, **HEADACHE)
    assert not out["out_of_scope"], out["scope_notes"]
    assert out["disease"]["zh"] == "眩晕病"
    added = " ".join(n["zh"] for n in out["from_visit"])
    assert "体温：36.8℃ 脉搏：88次/分 血压：165/100mmHg" in added
    assert "BP 165/100 mmHg" in " ".join(n["en"] for n in out["from_visit"])


def test_a_headache_with_a_normal_blood_pressure_stays_outside_it(api, users):
    normal = visit(api, new_patient(api), sbp=122, dbp=78)
    out = suggest(api, encounter_id=normal, **HEADACHE)
    assert out["out_of_scope"] and outside_scope(out)
    assert "血压：122/78mmHg" in out["from_visit"][0]["zh"]
    # without a visit nothing is added: the request alone is what it was
    alone = suggest(api, **HEADACHE)
    assert alone["from_visit"] == [] and outside_scope(alone)


def test_the_patients_known_hypertension_reaches_the_history(api, users):
    patient = diagnosed_patient(api, ("I10",))
    enrol(api, patient, "hypertension")
    out = suggest(api, encounter_id=visit(api, patient), **HEADACHE)
    assert [n["zh"] for n in out["from_visit"]] == ["已加入病人的慢病记录（病史）：既往史：高血压"]
    assert "hypertension" in out["from_visit"][0]["en"]
    # a headache in a known hypertensive is the learned model's (高血压 stated in the history)
    assert not outside_scope(out)
    # the doctor's own history already names it: nothing is added twice
    named = suggest(api, encounter_id=visit(api, patient), history="高血压病10年", **HEADACHE)
    assert named["from_visit"] == []
    # a history that denies it does not name it: the programme's record is added
    denied = suggest(api, encounter_id=visit(api, patient), history="否认高血压病史", **HEADACHE)
    assert [n["zh"] for n in denied["from_visit"]] == [
        "已加入病人的慢病记录（病史）：既往史：高血压"
    ]


def test_a_follow_up_recorded_on_the_visit_gives_its_blood_pressure(api, users):
    patient = diagnosed_patient(api, ("E11",))
    enrol(api, patient, "diabetes")
    encounter = visit(api, patient)
    follow_up(api, patient, encounter_id=encounter, fasting_glucose=6.5, sbp=170, dbp=100)
    out = suggest(api, encounter_id=encounter, **HEADACHE)
    added = [n["zh"] for n in out["from_visit"]]
    assert added == [
        "已加入本次就诊记录的生命体征（体格检查）：血压：170/100mmHg",
        "已加入病人的慢病记录（病史）：既往史：糖尿病",
    ]
    assert not outside_scope(out)
