"""The diagnosis picker's API: any listed ICD-10 diagnosis by Chinese name, pinyin initials or
code; confirming a picked code; the patient's known diagnoses as one-tap choices."""

from __future__ import annotations

from gpassist.diagnosis.catalog import load_catalog
from tests.followup.helpers import diagnosed_patient, enrol


def search(api, q, as_="doctor_a", expect=200, **query):
    response = api.get("/api/v1/diagnoses", as_=as_, query_string={"q": q, **query})
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def names(answer):
    return [(item["zh"], item["icd10"]) for item in answer["items"]]


def test_a_diagnosis_is_found_by_chinese_name_pinyin_initials_or_code(api):
    assert names(search(api, "高血压"))[0] == ("高血压", "I10")
    assert names(search(api, "gxy"))[0] == ("高血压", "I10")
    by_code = search(api, "j06")
    assert by_code["items"][0]["icd10"] == "J06.9" and by_code["items"][0]["matched"] == "code"
    assert ("肺炎", "J18.9") in names(search(api, "fy"))
    assert names(search(api, "2xtnb")) == [("2型糖尿病", "E11")]  # the program's name
    assert search(api, "pneumonia", limit=3)["items"][0]["zh"] == "肺炎"


def test_the_search_needs_a_login_and_a_query(api):
    assert api.get("/api/v1/diagnoses?q=gxy").status_code == 401
    assert search(api, "gxy", as_="pharmacist", expect=403)["title_zh"]
    assert search(api, "", expect=422)["errors"][0]["field"] == "query.q"


def test_the_catalog_joins_the_programs_the_general_kb_and_the_benchmarks():
    catalog = load_catalog()
    sources = {entry.source for entry in catalog.entries}
    assert sources == {"program", "general", "benchmark"}
    assert len(catalog) > 800  # the general KB's ~800 coded conditions and more
    assert all(entry.icd10 and entry.zh for entry in catalog.entries)


def visit(api, patient_id, as_="doctor_a"):
    response = api.post(
        f"/api/v1/patients/{patient_id}/encounters",
        as_=as_,
        json={"chief_complaint": "头晕", "vitals": {"sbp": 150, "dbp": 92}},
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_picked_code_is_confirmed_with_the_catalogs_name(api):
    patient = diagnosed_patient(api, diagnoses=())
    encounter = visit(api, patient)
    response = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis", as_="doctor_a", json={"icd10": "J18.9"}
    )
    assert response.status_code == 201, response.get_json()
    confirmed = response.get_json()
    assert (confirmed["zh"], confirmed["icd10"], confirmed["en"]) == ("肺炎", "J18.9", "Pneumonia")
    assert confirmed["encounter_diagnoses"] == ["J18.9"]
    # a second name of the same code is kept as picked
    again = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis",
        as_="doctor_a",
        json={"icd10": "I10", "zh": "恶性高血压"},
    )
    assert again.get_json()["zh"] == "恶性高血压"


def test_a_code_the_list_does_not_carry_needs_a_chinese_name_and_says_so_in_chinese(api):
    encounter = visit(api, diagnosed_patient(api, diagnoses=()))
    response = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis", as_="doctor_a", json={"icd10": "Z99.9"}
    )
    assert response.status_code == 422
    (error,) = response.get_json()["errors"]
    assert error["field"] == "body.zh" and "中文名称" in error["message_zh"]
    bogus = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis", as_="doctor_a", json={"icd10": "U99.9"}
    )
    assert bogus.status_code == 422
    assert "不是 ICD-10 编码" in bogus.get_json()["errors"][0]["message_zh"]


def test_the_patients_program_and_past_diagnoses_come_as_one_tap_choices(api):
    patient = diagnosed_patient(api, diagnoses=("I10", "J18.9"))
    enrol(api, patient, "hypertension")
    response = api.get(f"/api/v1/patients/{patient}/diagnoses", as_="doctor_a")
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [(i["zh"], i["icd10"], i["program"]) for i in items] == [
        ("高血压", "I10", "hypertension"),
        ("肺炎", "J18.9", None),
    ]
    # another clinic's doctor does not see them
    assert api.get(f"/api/v1/patients/{patient}/diagnoses", as_="doctor_b").status_code == 404


def test_a_who_code_the_list_does_not_name_is_offered_and_confirmed_with_a_chinese_name(api):
    items = search(api, "j45")["items"]
    named = [(i["zh"], i["icd10"]) for i in items if i["source"] != "who"]
    assert ("支气管哮喘", "J45.9") in named
    who = {i["icd10"]: i for i in items if i["source"] == "who"}
    assert who["J45.0"]["zh"] is None and who["J45.0"]["en"] == "Predominantly allergic asthma"
    assert "J45.9" not in who  # named above, not repeated
    assert [i["icd10"] for i in search(api, "J450")["items"]] == ["J45.0"]
    assert [i for i in search(api, "gxy")["items"] if i["source"] == "who"] == []

    encounter = visit(api, diagnosed_patient(api, diagnoses=()))
    response = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis",
        as_="doctor_a",
        json={"icd10": "J45.0", "zh": "过敏性哮喘"},
    )
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["zh"], response.get_json()["en"]) == (
        "过敏性哮喘",
        "Predominantly allergic asthma",
    )
