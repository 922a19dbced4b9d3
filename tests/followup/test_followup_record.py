"""The standard's follow-up record (随访服务记录表): stored with the follow-up, printed in Chinese,
and the today page's annual-check list."""

from __future__ import annotations

import datetime as dt

from tests.followup.helpers import diagnosed_patient, enrol, follow_up, today, worklist

ROUTINE = {
    "visit_mode": "clinic",
    "record_symptoms": ["headache_dizziness"],
    "height_cm": 165,
    "smoking_per_day": 5,
    "drinking_liang_per_day": 1,
    "exercise_times_per_week": 5,
    "exercise_minutes": 30,
    "salt": "moderate",
    "psychological": "good",
    "compliance": "good",
    "adherence": "regular",
}


def visit_with_weight(api, patient: int, weight: float) -> dict:
    encounter = api.post(
        f"/api/v1/patients/{patient}/encounters",
        as_="doctor_a",
        json={
            "chief_complaint": "高血压随访",
            "vitals": {"sbp": 158, "dbp": 96, "weight_kg": weight},
        },
    )
    assert encounter.status_code == 201, encounter.get_json()
    return encounter.get_json()


def test_the_form_is_stored_with_the_visits_weight_and_a_bmi(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=20))
    encounter = visit_with_weight(api, patient, 68)
    recorded = follow_up(api, patient, encounter_id=encounter["id"], record=ROUTINE)
    (visit,) = recorded["follow_ups"]
    assert (visit["sbp"], visit["dbp"]) == (158, 96)  # from the visit
    assert visit["record"]["weight_kg"] == 68  # from the visit too
    assert visit["record"]["bmi"] == 25.0  # 68 / 1.65²
    assert visit["record"]["salt"] == "moderate"
    assert visit["classification"] == "uncontrolled"
    assert visit["classification_name"] == {"zh": "控制不满意", "en": "Not controlled"}
    assert visit["next_due"] == (today() + dt.timedelta(days=14)).isoformat()
    history = api.get(f"/api/v1/patients/{patient}/follow-ups", as_="doctor_a").get_json()
    assert history["items"][0]["record"]["smoking_per_day"] == 5
    assert worklist(api, "due-today") == []


def test_a_wrong_answer_in_the_form_writes_nothing(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    refused = follow_up(
        api, patient, expect=422, sbp=130, dbp=80, record={**ROUTINE, "salt": "lots"}
    )
    assert any("salt" in e["field"] for e in refused["errors"])
    refused = follow_up(
        api, patient, expect=422, sbp=130, dbp=80, record={**ROUTINE, "smoking_per_day": -1}
    )
    assert any("smoking_per_day" in e["field"] for e in refused["errors"])
    assert api.get(f"/api/v1/patients/{patient}/follow-ups", as_="doctor_a").get_json() == {
        "items": []
    }
    assert [e["patient_id"] for e in worklist(api, "due-today")] == [patient]


def test_the_record_prints_in_chinese_for_the_clinic_only(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=20))
    encounter = visit_with_weight(api, patient, 68)
    (visit,) = follow_up(api, patient, encounter_id=encounter["id"], record=ROUTINE)["follow_ups"]
    page = api.get(f"/api/v1/follow-ups/{visit['id']}/record.html", as_="doctor_a")
    assert page.status_code == 200
    assert page.content_type.startswith("text/html")
    html = page.get_data(as_text=True)
    for words in (
        "高血压患者随访服务记录表",
        "158/96",
        "控制不满意",
        "头痛头晕",
        "摄盐情况",
        "中",
        "规律",
        "BMI 25",
        visit["next_due"],
    ):
        assert words in html, words
    assert (
        api.get(f"/api/v1/follow-ups/{visit['id']}/record.html", as_="doctor_b").status_code == 404
    )
    assert api.get("/api/v1/follow-ups/999999/record.html", as_="doctor_a").status_code == 404


def test_diabetes_record_prints_glucose_and_the_diabetes_rows(api, users):
    patient = diagnosed_patient(api, diagnoses=("E11.9",))
    enrol(api, patient, "diabetes")
    record = {"staple_food_g_per_day": 250, "hypoglycaemia": "none", "dorsalis_pedis": "normal"}
    (visit,) = follow_up(api, patient, fasting_glucose=6.2, sbp=128, dbp=78, record=record)[
        "follow_ups"
    ]
    assert visit["classification_name"]["zh"] == "控制满意"
    html = api.get(f"/api/v1/follow-ups/{visit['id']}/record.html", as_="doctor_a").get_data(
        as_text=True
    )
    for words in ("2型糖尿病患者随访服务记录表", "6.2 mmol/L", "250 克/天", "触及正常", "控制满意"):
        assert words in html, words
    assert "摄盐情况" not in html


def test_annual_checks_due_lists_the_managed_without_this_years_check(api, users):
    checked, unchecked = diagnosed_patient(api), diagnosed_patient(api, name="孙大娘")
    enrol(api, checked)
    enrol(api, unchecked)
    done = api.post(
        f"/api/v1/patients/{checked}/annual-checks",
        as_="doctor_a",
        json={"height_cm": 165, "weight_kg": 66},
    )
    assert done.status_code == 201, done.get_json()
    due = api.get("/api/v1/follow-ups/annual-checks-due", as_="doctor_a").get_json()
    assert [e["patient_id"] for e in due["items"]] == [unchecked]
    assert due["items"][0]["programs"] == ["hypertension"]
    assert due["items"][0]["last_check_date"] is None
    other = api.get("/api/v1/follow-ups/annual-checks-due", as_="doctor_b").get_json()
    assert other["items"] == []


def test_a_recorded_check_is_read_back_newest_first_with_its_visit(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    last_year = today().replace(year=today().year - 1, day=1)
    earlier = api.post(
        f"/api/v1/patients/{patient}/annual-checks",
        as_="doctor_a",
        json={"check_date": last_year.isoformat(), "weight_kg": 70},
    )
    assert earlier.status_code == 201, earlier.get_json()
    visit = visit_with_weight(api, patient, 68)
    recorded = api.post(
        f"/api/v1/patients/{patient}/annual-checks",
        as_="doctor_a",
        json={
            "encounter_id": visit["id"],
            "height_cm": 165,
            "weight_kg": 68,
            "waist_cm": 86,
            "findings": "心电图正常",
        },
    )
    assert recorded.status_code == 201, recorded.get_json()

    listed = api.get(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a")
    assert listed.status_code == 200
    checks = listed.get_json()["items"]
    assert [(c["check_date"], c["year"]) for c in checks] == [
        (today().isoformat(), today().year),
        (last_year.isoformat(), last_year.year),
    ]
    assert checks[0] == recorded.get_json()
    assert checks[0]["encounter_id"] == visit["id"]
    assert checks[0]["findings"] == {
        "height_cm": 165,
        "weight_kg": 68,
        "waist_cm": 86,
        "findings": "心电图正常",
        "bmi": 25.0,
    }
    due = api.get("/api/v1/follow-ups/annual-checks-due", as_="doctor_a").get_json()["items"]
    assert patient not in [e["patient_id"] for e in due]


def test_a_patients_checks_are_read_at_their_clinic_and_by_admins_only(api, users):
    patient = diagnosed_patient(api)
    assert api.get(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a").get_json() == {
        "items": []
    }
    api.post(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a", json={"weight_kg": 66})
    for reader in ("doctor_a2", "admin"):
        seen = api.get(f"/api/v1/patients/{patient}/annual-checks", as_=reader)
        assert seen.status_code == 200 and len(seen.get_json()["items"]) == 1, reader
    other_clinic = api.get(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_b")
    assert other_clinic.status_code == 404
    assert other_clinic.get_json()["detail_zh"] == "没有这位患者，或您无权查看。"
    for role in ("specialist", "pharmacist"):
        refused = api.get(f"/api/v1/patients/{patient}/annual-checks", as_=role)
        assert refused.status_code == 403, role
    assert api.get("/api/v1/patients/999999/annual-checks", as_="doctor_a").status_code == 404


def test_an_impossible_measurement_is_refused_in_chinese_and_nothing_is_written(api, users):
    patient = diagnosed_patient(api)
    refused = api.post(
        f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a", json={"waist_cm": 300}
    )
    assert refused.status_code == 422
    (error,) = refused.get_json()["errors"]
    assert error["field"] == "body.waist_cm"
    assert error["message_zh"].startswith("腰围：不能大于 250")
    assert api.get(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a").get_json() == {
        "items": []
    }
