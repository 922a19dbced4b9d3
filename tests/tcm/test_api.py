"""POST /api/v1/tcm/suggest, GET /api/v1/tcm/vocabulary, suggestions stored on an encounter."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from gpassist.clinics.schemas import DrugKind, InsuranceCategory, PregnancySafety
from gpassist.clinics.tables import Drug, Facility, FormularyEntry

RECORD = {
    "chief_complaint": "阵发性头晕5年，加重3天",
    "symptoms_text": "头晕头胀，急躁易怒，口苦，无胸闷胸痛，纳可，眠差",
    "tongue_pulse_text": "舌红，苔黄，脉弦",
}


def suggest(api, as_="doctor_a", **body):
    return api.post("/api/v1/tcm/suggest", as_=as_, json=body)


def field_of(response) -> str:
    assert response.status_code == 422, response.get_json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.get_json()["errors"][0]["field"]


def test_suggestion_names_disease_syndromes_findings_and_treatment_in_chinese(api, users):
    response = suggest(api, **RECORD)
    assert response.status_code == 200, response.get_json()
    out = response.get_json()
    assert out["model"] == {"name": "tbosd", "version": out["model"]["version"], "clinical": False}
    assert out["disease"]["zh"] == "眩晕病" and out["disease"]["en"]
    assert abs(sum(d["probability"] for d in out["diseases"]) - 1) < 1e-4
    probabilities = [s["probability"] for s in out["syndromes"]]
    assert probabilities == sorted(probabilities, reverse=True) and len(probabilities) == 10
    top = out["syndromes"][0]
    assert top["suggested"] and top["supporting"], top
    assert all(f["zh"] and f["block"] in ("complaint", "tongue_pulse") for f in top["supporting"])
    treatment = out["treatments"][0]
    assert treatment["syndrome"]["zh"] == top["zh"]
    assert treatment["principle"]["zh"] and treatment["principle"]["en"]
    assert treatment["medicines"] or treatment["note"]
    assert "不是自动处方" in out["notice"]["zh"]
    assert out["suggestion_id"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"chief_complaint": "   "}, "body"),
        ({"chief_complaint": "dizzy"}, "body"),  # no Chinese: nothing the model can read
        ({"pulse": ["wiry", "galloping"]}, "body.pulse.1"),
        ({"tongue_colour": ["red", "red"]}, "body.tongue_colour.1"),
        (
            {"symptoms": ["dizziness"], "absent_symptoms": ["headache", "dizziness"]},
            "body.absent_symptoms.1",
        ),
        ({**RECORD, "model": "general"}, "body.model"),
        ({**RECORD, "chief_complaint": "头晕" * 300}, "body.chief_complaint"),
        ({**RECORD, "tongue": ["red"]}, "body.tongue"),
        ({**RECORD, "encounter_id": 0}, "body.encounter_id"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(api, users, body, field):
    assert field_of(suggest(api, **body)) == field


def test_only_clinicians_may_ask_and_a_token_is_required(api, users):
    assert suggest(api, as_="pharmacist", **RECORD).status_code == 403
    assert api.post("/api/v1/tcm/suggest", json=RECORD).status_code == 401
    assert suggest(api, as_="specialist", **RECORD).status_code == 200


def new_encounter(api, as_="doctor_a") -> int:
    patient = api.post(
        "/api/v1/patients",
        as_=as_,
        json={"name": "孙大娘", "sex": "female", "birth_date": "1955-02-03"},
    ).get_json()["id"]
    visit = api.post(
        f"/api/v1/patients/{patient}/encounters", as_=as_, json={"chief_complaint": "头晕"}
    )
    assert visit.status_code == 201, visit.get_json()
    return visit.get_json()["id"]


def test_suggestion_is_stored_on_the_encounter_of_the_doctors_own_clinic(api, users):
    encounter = new_encounter(api)
    stored = suggest(api, encounter_id=encounter, **RECORD).get_json()
    assert stored["suggestion_id"]
    listing = api.get(f"/api/v1/encounters/{encounter}/tcm", as_="doctor_a2").get_json()
    # the learned model's row, and the knowledge base's beside it when one is installed
    rows = {r["model"]: r for r in listing["suggestions"]}
    row = rows.pop(stored["model"]["name"])
    assert [r["id"] for r in rows.values()] == (
        [stored["kb_suggestion_id"]] if stored.get("kb") else []
    )
    assert row["id"] == stored["suggestion_id"]
    assert row["disease"] == stored["disease"]["zh"]
    assert row["request"]["tongue_pulse_text"] == RECORD["tongue_pulse_text"]
    assert [s["zh"] for s in row["syndromes"]] == [s["zh"] for s in stored["syndromes"]]
    # every stored syndrome is the response's, without its English name
    assert row["syndromes"] == [
        {k: s[k] for k in ("zh", "probability", "suggested", "supporting")}
        for s in stored["syndromes"]
    ]
    # another clinic neither writes nor reads it; a specialist cannot write on an encounter
    assert suggest(api, as_="doctor_b", encounter_id=encounter, **RECORD).status_code == 404
    assert api.get(f"/api/v1/encounters/{encounter}/tcm", as_="doctor_b").status_code == 404
    assert suggest(api, as_="specialist", encounter_id=encounter, **RECORD).status_code == 403
    assert len(
        api.get(f"/api/v1/encounters/{encounter}/tcm", as_="admin").get_json()["suggestions"]
    ) == len(listing["suggestions"])


def test_a_refused_suggestion_stores_nothing(api, users):
    encounter = new_encounter(api)
    bad = suggest(api, encounter_id=encounter, pulse=["galloping"], **RECORD)
    assert bad.status_code == 422
    assert (
        api.get(f"/api/v1/encounters/{encounter}/tcm", as_="doctor_a").get_json()["suggestions"]
        == []
    )


def add_catalog_drug(database, code: str, zh: str, stocked_at: str | None) -> None:
    with database.transaction(actor="test") as session:
        drug = Drug(
            code=code,
            name_zh=zh,
            name_en=code,
            kind=DrugKind.chinese_patent,
            form_zh="颗粒剂",
            form_en="granules",
            strength="10 g",
            strength_value=10,
            dose_unit="g",
            unit_zh="袋",
            unit_en="sachet",
            pack_size=10,
            pack_unit_zh="盒",
            pack_unit_en="box",
            unit_price_fen=100,
            insurance_category=InsuranceCategory.A,
            essential=True,
            generic_group=code,
            usual_daily_dose=30,
            max_daily_dose=30,
            pregnancy=PregnancySafety.caution,
        )
        session.add(drug)
        session.flush()
        if stocked_at:
            clinic = session.scalar(select(Facility.id).where(Facility.code == stocked_at))
            session.add(FormularyEntry(facility_id=clinic, drug_id=drug.id))


def test_catalog_medicines_are_marked_in_or_out_of_the_callers_formulary(app, database, users):
    from gpassist.auth.tables import User
    from gpassist.tcm.service import treatment_for

    add_catalog_drug(database, "tianma-gouteng-gran-10g", "天麻钩藤颗粒", stocked_at="VA")
    add_catalog_drug(database, "songling-xuemaikang-cap", "松龄血脉康胶囊", stocked_at=None)
    with database.transaction(actor="test") as session:

        def medicines(username):
            user = session.scalar(select(User).where(User.username == username))
            hint = treatment_for(session, user, "肝阳上亢证")
            return {m.code: m.model_dump() for m in hint.medicines}

        at_va, at_vb, admin = medicines("doctor_a"), medicines("doctor_b"), medicines("admin")
    assert at_va["tianma-gouteng-gran-10g"]["in_formulary"] is True
    assert at_va["tianma-gouteng-gran-10g"]["zh"] == "天麻钩藤颗粒"
    assert at_va["songling-xuemaikang-cap"]["in_formulary"] is False
    assert at_vb["tianma-gouteng-gran-10g"]["in_formulary"] is False
    assert admin["tianma-gouteng-gran-10g"]["in_formulary"] is None  # no clinic of their own
    assert all(m["in_catalog"] for m in at_va.values())


def test_a_syndrome_without_a_fitting_catalog_medicine_says_so(app, database, users):
    from gpassist.auth.tables import User
    from gpassist.tcm.service import treatment_for

    with database.transaction(actor="test") as session:
        user = session.scalar(select(User).where(User.username == "doctor_a"))
        hint = treatment_for(session, user, "痰热蕴结证").model_dump()
    assert hint["medicines"] == []
    assert "没有" in hint["note"]["zh"] and hint["principle"]["zh"] == "清热化痰，宽胸通络"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=xian&category=pulse", "弦脉"),  # pinyin
        ("q=tt", "头痛"),  # pinyin initials
        ("q=胸", "胸闷"),  # Chinese
        ("q=greasy", "黄腻苔"),  # English
    ],
)
def test_vocabulary_search(api, users, query, expected):
    response = api.get(f"/api/v1/tcm/vocabulary?{query}", as_="doctor_a")
    assert response.status_code == 200
    assert expected in [e["zh"] for e in response.get_json()["items"]]


def test_vocabulary_refuses_an_unknown_category(api, users):
    assert (
        field_of(api.get("/api/v1/tcm/vocabulary?category=smell", as_="doctor_a"))
        == "query.category"
    )


def test_ticked_pulse_qualities_are_written_in_the_textbook_order(api, users):
    """浮 and 紧 ticked in either order reach the record as 脉浮紧, the tongue's marks beside its
    colour: what a TCM doctor would write, and what the knowledge base reads."""
    from gpassist.tcm.schemas import SuggestIn
    from gpassist.tcm.service import record_from

    body = {
        "chief_complaint": "恶寒发热两天",
        "symptoms_text": "恶寒重，发热轻，无汗，鼻塞流清涕",
        "tongue_colour": ["pale-red", "enlarged", "teeth-marks"],
        "coating": ["thin-white"],
        "pulse": ["tight", "floating"],
    }
    record = record_from(SuggestIn.model_validate(body))
    assert record["中医望闻切诊"] == "舌淡红，舌体胖大，舌边有齿痕，苔薄白，脉浮紧"
    answer = suggest(api, **body)
    assert answer.status_code == 200, answer.get_json()
    lead = answer.get_json()["kb"]["diseases"][0]
    assert (lead["zh"], lead["syndromes"][0]["zh"]) == ("感冒", "风寒束表证")


def test_the_vocabulary_marks_the_tongue_marks_ticked_beside_the_colour(api, users):
    items = api.get("/api/v1/tcm/vocabulary?category=tongue_colour", as_="doctor_a").get_json()
    marks = {e["zh"] for e in items["items"] if e["feature"]}
    assert {"齿痕舌", "舌体胖大"} <= marks
    assert "红舌" not in marks
