"""The village doctor's follow-up workflow through the API."""

from __future__ import annotations

import datetime as dt

from gpassist.followup.rules import add_months
from tests.followup.helpers import diagnosed_patient, enrol, follow_up, today, worklist


def test_new_enrolment_is_due_today_at_own_clinic_only(api, users):
    patient = diagnosed_patient(api)
    enrolment = enrol(api, patient)
    assert enrolment["next_due"] == today().isoformat()
    assert [e["patient_id"] for e in worklist(api, "due-today")] == [patient]
    assert [e["patient_id"] for e in worklist(api, "due-this-week")] == [patient]
    assert worklist(api, "due-today", as_="doctor_b") == []
    other = api.post(
        f"/api/v1/patients/{patient}/enrolments", as_="doctor_b", json={"program": "diabetes"}
    )
    assert other.status_code == 404


def test_controlled_elderly_visit_is_due_in_three_months(api, users):
    patient = diagnosed_patient(api)  # 70 years old: target below 150/90
    enrol(api, patient)
    result = follow_up(api, patient, sbp=148, dbp=85)["follow_ups"]
    assert len(result) == 1
    visit = result[0]
    assert visit["classification"] == "controlled"
    assert visit["referral"] is False and visit["urgent_referral"] is False
    assert visit["next_due"] == add_months(today(), 3).isoformat()
    assert worklist(api, "due-today") == []


def test_two_uncontrolled_in_a_row_refers_to_cardiology_and_specialist_closes_the_loop(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=30))
    first = follow_up(api, patient, sbp=156, dbp=88, visit_date=today() - dt.timedelta(days=14))
    assert first["follow_ups"][0]["classification"] == "uncontrolled"
    assert first["follow_ups"][0]["referral"] is False
    second = follow_up(api, patient, sbp=158, dbp=92)["follow_ups"][0]
    assert second["referral"] is True
    assert second["reasons"] == ["uncontrolled_twice"]
    assert second["reason_texts"][0]["zh"] == "连续两次随访控制不满意"
    assert second["next_due"] == (today() + dt.timedelta(days=14)).isoformat()
    referral = second["referral_record"]
    assert referral["department"] == "CH/cardiology" and referral["urgent"] is False

    inbox = api.get("/api/v1/referrals?status=open", as_="specialist").get_json()["items"]
    assert [r["id"] for r in inbox] == [referral["id"]]
    closed = api.post(
        f"/api/v1/referrals/{referral['id']}/close",
        as_="specialist",
        json={"outcome": "plan_adjusted", "note": "加用氢氯噻嗪"},
    )
    assert closed.status_code == 200
    seen_by_doctor = api.get(f"/api/v1/referrals/{referral['id']}", as_="doctor_a").get_json()
    assert seen_by_doctor["status"] == "closed"
    assert seen_by_doctor["outcome"] == "plan_adjusted"
    again = api.post(
        f"/api/v1/referrals/{referral['id']}/close", as_="specialist", json={"outcome": "admitted"}
    )
    assert again.status_code == 409


def test_referrals_are_private_to_clinic_and_department(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    referral = follow_up(api, patient, sbp=185, dbp=100)["follow_ups"][0]["referral_record"]
    assert referral["urgent"] is True
    assert api.get(f"/api/v1/referrals/{referral['id']}", as_="doctor_b").status_code == 404
    assert api.get("/api/v1/referrals", as_="doctor_b").get_json()["items"] == []
    assert api.get("/api/v1/referrals", as_="pharmacist").status_code == 403
    closing = api.post(
        f"/api/v1/referrals/{referral['id']}/close", as_="doctor_a", json={"outcome": "admitted"}
    )
    assert closing.status_code == 403


def test_pregnant_patient_with_raised_bp_is_urgent(api, users):
    patient = diagnosed_patient(
        api, name="孙小梅", sex="female", birth_date="1988-02-02", pregnancy_status="pregnant"
    )
    enrol(api, patient)
    visit = follow_up(api, patient, sbp=142, dbp=86)["follow_ups"][0]
    assert visit["urgent_referral"] is True
    assert "pregnancy_or_lactation:sbp>=140" in visit["reasons"]
    assert "pregnancy" in visit["symptoms"]


def test_patient_in_both_programs_is_classified_per_program(api, users):
    patient = diagnosed_patient(api, diagnoses=("I10", "E11.9"))
    enrol(api, patient, "hypertension")
    enrol(api, patient, "diabetes")
    visits = follow_up(api, patient, sbp=130, dbp=80, fasting_glucose=8.2)["follow_ups"]
    verdicts = {v["program"]: v["classification"] for v in visits}
    assert verdicts == {"diabetes": "uncontrolled", "hypertension": "controlled"}
    assert visits[0]["encounter_id"] == visits[1]["encounter_id"]


def test_readings_come_from_the_linked_encounter(api, users):
    patient = diagnosed_patient(api, diagnoses=("E11.9",))
    enrol(api, patient, "diabetes")
    encounter = api.post(
        f"/api/v1/patients/{patient}/encounters",
        as_="doctor_a",
        json={
            "chief_complaint": "随访",
            "vitals": {"glucose_mmol_l": 6.1, "glucose_fasting": True},
        },
    ).get_json()
    visit = follow_up(api, patient, encounter_id=encounter["id"])["follow_ups"][0]
    assert visit["fasting_glucose"] == 6.1
    assert visit["classification"] == "controlled"


def test_impossible_readings_and_unknown_symptoms_write_nothing(api, users):
    patient = diagnosed_patient(api, diagnoses=("I10", "E11.9"))
    enrol(api, patient, "hypertension")
    enrol(api, patient, "diabetes")
    encounters_before = api.get(f"/api/v1/patients/{patient}/encounters", as_="doctor_a").get_json()
    cases = [
        ({"sbp": 20, "dbp": 10, "fasting_glucose": 6.0}, "body.sbp"),
        ({"sbp": 130, "dbp": 80, "fasting_glucose": -1}, "body.fasting_glucose"),
        (
            {"sbp": 130, "dbp": 80, "fasting_glucose": 6, "symptoms": ["headache_ish"]},
            "body.symptoms",
        ),
        ({"sbp": 130, "dbp": 80}, "body.fasting_glucose"),  # the diabetes program needs it
        ({"fasting_glucose": 6.0}, "body.sbp"),
    ]
    for body, field in cases:
        response = follow_up(api, patient, expect=422, **body)
        assert field in [e["field"] for e in response["errors"]], body
    assert (
        api.get(f"/api/v1/patients/{patient}/follow-ups", as_="doctor_a").get_json()["items"] == []
    )
    encounters_after = api.get(f"/api/v1/patients/{patient}/encounters", as_="doctor_a").get_json()
    assert encounters_after == encounters_before
    enrolments = api.get(f"/api/v1/patients/{patient}/enrolments", as_="doctor_a").get_json()
    assert all(e["last_follow_up_on"] is None for e in enrolments["items"])


def test_enrolment_needs_age_and_diagnosis(api, users):
    young = diagnosed_patient(api, name="年轻人", birth_date="2000-01-01")
    response = api.post(
        f"/api/v1/patients/{young}/enrolments", as_="doctor_a", json={"program": "hypertension"}
    )
    assert response.status_code == 422
    undiagnosed = diagnosed_patient(api, diagnoses=("J06.9",))
    response = api.post(
        f"/api/v1/patients/{undiagnosed}/enrolments", as_="doctor_a", json={"program": "diabetes"}
    )
    assert response.status_code == 422
    assert "E11" in response.get_json()["errors"][0]["message"]


def test_overdue_is_sorted_by_risk_and_lost_is_apart(api, users):
    long_ago = today() - dt.timedelta(days=500)
    calm, urgent, lost = (diagnosed_patient(api, name=n) for n in ("平稳", "危急", "失访"))
    for patient in (calm, urgent, lost):
        enrol(api, patient, on=long_ago)
    follow_up(
        api, lost, sbp=130, dbp=80, visit_date=long_ago
    )  # due 3 months later: > 12 months ago
    month_ago = today() - dt.timedelta(days=120)
    follow_up(api, calm, sbp=130, dbp=80, visit_date=month_ago)  # due ~30 days ago
    follow_up(api, urgent, sbp=182, dbp=95, visit_date=today() - dt.timedelta(days=20))
    overdue = worklist(api, "overdue")
    assert [e["patient_id"] for e in overdue] == [urgent, calm]
    assert overdue[0]["last_urgent"] is True and overdue[0]["days_overdue"] == 6
    assert [e["patient_id"] for e in worklist(api, "lost")] == [lost]
    assert worklist(api, "overdue", as_="doctor_b") == []


def test_admin_reads_a_named_clinics_worklist(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    missing = api.get("/api/v1/follow-ups/due-today", as_="admin")
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["field"] == "query.clinic"
    assert [e["patient_id"] for e in worklist(api, "due-today", as_="admin", clinic="VA")] == [
        patient
    ]
    assert api.get("/api/v1/follow-ups/due-today", as_="pharmacist").status_code == 403


def test_withdrawn_patients_leave_the_lists(api, users):
    patient = diagnosed_patient(api)
    enrolment = enrol(api, patient)
    withdrawn = api.post(
        f"/api/v1/enrolments/{enrolment['id']}/withdraw", as_="doctor_a", json={"reason": "moved"}
    )
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert worklist(api, "due-today") == []
    follow_up(api, patient, expect=422, sbp=130, dbp=80)
    assert enrol(api, patient)["status"] == "active"


def test_follow_ups_are_recorded_in_date_order(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=60))
    follow_up(api, patient, sbp=130, dbp=80, visit_date=today() - dt.timedelta(days=10))
    late = follow_up(
        api, patient, expect=422, sbp=130, dbp=80, visit_date=today() - dt.timedelta(days=20)
    )
    assert late["errors"][0]["field"] == "body.visit_date"


def test_annual_check_once_a_year(api, users):
    patient = diagnosed_patient(api)
    check = api.post(
        f"/api/v1/patients/{patient}/annual-checks",
        as_="doctor_a",
        json={"height_cm": 165, "weight_kg": 68, "waist_cm": 88, "findings": "心电图正常"},
    )
    assert check.status_code == 201
    assert check.get_json()["findings"]["bmi"] == 25.0
    again = api.post(f"/api/v1/patients/{patient}/annual-checks", as_="doctor_a", json={})
    assert again.status_code == 409


def test_certified_chronic_disease(api, users, database):
    from gpassist.followup.service import has_certified_chronic_disease

    patient = diagnosed_patient(api)
    created = api.post(
        f"/api/v1/patients/{patient}/certifications",
        as_="doctor_a",
        json={"disease": "hypertension", "certified_on": "2025-03-01", "certifying_facility": "CH"},
    )
    assert created.status_code == 201
    assert created.get_json()["icd10"] == "I10"
    not_a_hospital = api.post(
        f"/api/v1/patients/{patient}/certifications",
        as_="doctor_a",
        json={"disease": "diabetes", "certified_on": "2025-03-01", "certifying_facility": "VA"},
    )
    assert not_a_hospital.status_code == 422
    with database.sessionmaker() as session:
        assert has_certified_chronic_disease(session, patient, dt.date(2025, 3, 1))
        assert not has_certified_chronic_disease(session, patient, dt.date(2025, 2, 28))
        assert not has_certified_chronic_disease(session, patient, dt.date(2026, 1, 1), "diabetes")


def test_re_enrolment_starts_afresh(api, users):
    """An uncontrolled visit before withdrawal is not the 'previous' of the new spell."""
    patient = diagnosed_patient(api)
    first = enrol(api, patient, on=today() - dt.timedelta(days=400))
    follow_up(api, patient, sbp=165, dbp=95, visit_date=today() - dt.timedelta(days=390))
    api.post(f"/api/v1/enrolments/{first['id']}/withdraw", as_="doctor_a", json={"reason": "moved"})
    second = enrol(api, patient)
    assert second["id"] != first["id"] and second["last_classification"] is None
    visit = follow_up(api, patient, sbp=165, dbp=95)["follow_ups"][0]
    assert visit["classification"] == "uncontrolled" and visit["referral"] is False
    spells = api.get(f"/api/v1/patients/{patient}/enrolments", as_="doctor_a").get_json()["items"]
    assert [(s["status"], s["enrolled_on"]) for s in spells] == [
        ("withdrawn", first["enrolled_on"]),
        ("active", today().isoformat()),
    ]


def test_a_form_sent_twice_is_not_a_second_follow_up(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=30))
    follow_up(api, patient, sbp=165, dbp=95, visit_date=today() - dt.timedelta(days=14))
    follow_up(api, patient, sbp=166, dbp=96)
    again = follow_up(api, patient, expect=409, sbp=166, dbp=96)
    assert again["type"] == "/problems/conflict"
    history = api.get(f"/api/v1/patients/{patient}/follow-ups", as_="doctor_a").get_json()["items"]
    assert len(history) == 2


def test_one_open_referral_per_patient_and_department(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient, on=today() - dt.timedelta(days=60))
    for days_ago in (42, 28, 14):
        follow_up(api, patient, sbp=165, dbp=95, visit_date=today() - dt.timedelta(days=days_ago))
    last = follow_up(api, patient, sbp=185, dbp=100)["follow_ups"][0]
    inbox = api.get("/api/v1/referrals?status=open", as_="specialist").get_json()["items"]
    assert len(inbox) == 1
    assert inbox[0]["urgent"] is True
    assert set(inbox[0]["reasons"]) == {"uncontrolled_twice", "sbp>=180"}
    assert last["referral_record"]["id"] == inbox[0]["id"]


def test_diastolic_above_systolic_is_refused(api, users):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    refused = follow_up(api, patient, expect=422, sbp=100, dbp=150)
    assert [e["field"] for e in refused["errors"]] == ["body.dbp"]
    assert api.get("/api/v1/referrals", as_="doctor_a").get_json()["items"] == []
