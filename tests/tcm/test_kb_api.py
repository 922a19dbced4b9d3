"""POST /api/v1/tcm/suggest with the knowledge base: 辨证, the ICD-10 starting point, medicines."""

from __future__ import annotations

import pytest

from gpassist.config import PACKAGED_MODELS

pytestmark = pytest.mark.skipif(
    not (PACKAGED_MODELS / "tcm" / "primary-care" / "kb.yaml").exists(),
    reason="no packaged knowledge base",
)
WIND_COLD = {
    "chief_complaint": "恶寒发热2天",
    "symptoms_text": "恶寒重，发热轻，无汗，鼻塞流清涕",
    "tongue_pulse_text": "苔薄白，脉浮紧",
}


def suggest(api, as_="doctor_a", expect=200, **body):
    response = api.post("/api/v1/tcm/suggest", as_=as_, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def test_acute_urti_with_wind_cold_findings_shows_ganmao_fenghan_with_treatment(api, users):
    out = suggest(api, icd10="J06.9", **WIND_COLD)
    kb = out["kb"]
    assert kb["name"] == "primary-care" and kb["icd10"] == "J06.9"
    assert kb["icd10_source"] == "request" and kb["icd10_diseases"][0] == "ganmao"
    top = kb["diseases"][0]
    assert (top["code"], top["zh"]) == ("ganmao", "感冒")
    assert top["prior"] > 0
    syndrome = top["syndromes"][0]
    assert syndrome["zh"] == "风寒束表证" and 0 < syndrome["fit"] <= 1
    assert syndrome["principle"]["zh"] and syndrome["formula"]["zh"]
    assert {"恶寒重", "无汗"} <= {f["zh"] for f in syndrome["supporting"]}
    assert all(f["how"] in ("stated", "partial") for f in syndrome["supporting"])
    assert syndrome["medicines"], syndrome
    flags = [(m["in_formulary"], m["in_catalog"]) for m in syndrome["medicines"]]
    assert flags == sorted(flags, reverse=True)  # the clinic's stock first
    assert any("J06.9" in note["zh"] for note in kb["notes"])
    # the learned model's fields are still there, and it is out of scope for a cold
    assert out["model"]["name"] == "tbosd" and out["out_of_scope"]
    assert kb["combined"]["learned_used"] is False
    assert kb["combined"]["diseases"][0]["zh"] == top["term"]


def test_the_encounters_confirmed_diagnosis_is_the_starting_point(api, users):
    patient = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={"name": "李大爷", "sex": "male", "birth_date": "1950-04-05"},
    ).get_json()["id"]
    encounter = api.post(
        f"/api/v1/patients/{patient}/encounters", as_="doctor_a", json={"chief_complaint": "发热"}
    ).get_json()["id"]
    before = suggest(api, encounter_id=encounter, **WIND_COLD)["kb"]
    assert before["icd10"] is None and before["icd10_diseases"] == []
    confirmed = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis",
        as_="doctor_a",
        json={"icd10": "J06.9", "zh": "急性上呼吸道感染"},
    )
    assert confirmed.status_code == 201, confirmed.get_json()
    after = suggest(api, encounter_id=encounter, **WIND_COLD)["kb"]
    assert (after["icd10"], after["icd10_source"]) == ("J06.9", "encounter")
    assert after["diseases"][0]["code"] == "ganmao" and after["diseases"][0]["prior"] > 0


def test_a_tbosd_record_combines_with_the_learned_model(api, users):
    record = {
        "chief_complaint": "阵发性心悸3年，加重1周",
        "symptoms_text": "心悸，胸闷气短，神疲乏力，动则加重",
        "tongue_pulse_text": "舌暗淡，苔薄白，脉细涩",
    }
    kb = suggest(api, **record)["kb"]
    assert kb["combined"]["learned_used"] is True
    assert kb["combined"]["diseases"][0]["zh"] in ("心悸病", "胸痹心痛病", "心衰病", "眩晕病")
    assert 0 <= kb["combined"]["weights"]["disease"] <= 1


def test_close_syndromes_come_with_findings_to_ask(api, users):
    kb = suggest(api, chief_complaint="咳嗽3天", symptoms_text="咳嗽")["kb"]
    assert kb["diseases"][0]["code"] == "kesou"
    assert kb["close"] and kb["margin"] < 0.15
    assert kb["ask_next"] and all(a["favours"] for a in kb["ask_next"])


def test_an_icd10_that_is_not_a_code_is_refused(api, users):
    out = suggest(api, expect=422, icd10="URTI", **WIND_COLD)
    assert out["errors"][0]["field"] == "body.icd10"


def _encounter(api, sex: str, birth_date: str = "1980-03-01") -> int:
    patient = api.post(
        "/api/v1/patients",
        as_="doctor_a",
        json={"name": "王某", "sex": sex, "birth_date": birth_date},
    ).get_json()["id"]
    return api.post(
        f"/api/v1/patients/{patient}/encounters", as_="doctor_a", json={"chief_complaint": "腹痛"}
    ).get_json()["id"]


def test_the_knowledge_base_view_is_stored_on_the_visit_as_the_learned_one_is(api, users):
    encounter = _encounter(api, "male")
    out = suggest(api, encounter_id=encounter, icd10="J06.9", **WIND_COLD)
    assert out["suggestion_id"] and out["kb_suggestion_id"]
    stored = api.get(f"/api/v1/encounters/{encounter}/tcm", as_="doctor_a").get_json()
    by_model = {s["model"]: s for s in stored["suggestions"]}
    assert set(by_model) == {"tbosd", "kb:primary-care"}
    kb = by_model["kb:primary-care"]
    assert (kb["id"], kb["disease"]) == (out["kb_suggestion_id"], "感冒")
    assert kb["disease_probability"] == out["kb"]["diseases"][0]["fit"]
    first = kb["syndromes"][0]
    assert (first["zh"], first["suggested"]) == ("风寒束表证", True)
    assert {"恶寒重", "苔薄白"} <= {f["zh"] for f in first["supporting"]}
    assert not any(s["suggested"] for s in kb["syndromes"][1:])


def test_the_visits_patient_keeps_gynaecological_diseases_to_women(api, users):
    record = {
        "chief_complaint": "痛经2年，这次经期小腹冷痛1天",
        "symptoms_text": "小腹冷痛，得热痛减，经色暗有血块",
        "tongue_pulse_text": "舌暗，苔白，脉沉紧",
    }
    woman = suggest(api, encounter_id=_encounter(api, "female"), **record)["kb"]
    man = suggest(api, encounter_id=_encounter(api, "male"), **record)["kb"]
    assert woman["diseases"][0]["code"] == "tongjing"
    assert "tongjing" not in [d["code"] for d in man["diseases"][:1]]
    tongjing = {d["code"]: d["fit"] for d in man["diseases"]}.get("tongjing", 0)
    assert tongjing < woman["diseases"][0]["fit"]


def test_a_differential_that_decided_the_ranking_is_shown_to_the_doctor(api, users):
    out = suggest(
        api,
        chief_complaint="喘息3天",
        symptoms_text="喘息，喉中哮鸣，痰白清稀，恶寒",
        tongue_pulse_text="舌淡，苔白滑，脉浮紧",
    )
    kb = out["kb"]
    assert kb["diseases"][0]["zh"] == "哮病"
    note = next(n for n in kb["notes"] if n["zh"].startswith("鉴别诊断：哮病与喘证"))
    assert "喉中哮鸣" in note["zh"] and "《中医内科学》" in note["zh"]
    assert note["en"].startswith("differential diagnosis: ")
