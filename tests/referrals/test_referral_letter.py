"""The printable referral letter (转诊单) the patient carries to the county hospital."""

from __future__ import annotations

from tests.followup.helpers import diagnosed_patient, enrol, follow_up


def urgent_referral(api) -> tuple[int, int]:
    patient = diagnosed_patient(api, name="赵桂兰")
    enrol(api, patient)
    visit = follow_up(api, patient, sbp=186, dbp=112)["follow_ups"][0]
    assert visit["urgent_referral"] is True
    return patient, visit["referral_record"]["id"]


def test_the_letter_names_the_patient_the_department_and_the_reasons(api):
    patient, referral = urgent_referral(api)
    response = api.get(f"/api/v1/referrals/{referral}/letter.html", as_="doctor_a")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "赵桂兰" in page and "紧急转诊" in page
    assert "心血管内科" in page or "心内科" in page or "cardiology" in page.lower()
    listed = api.get(f"/api/v1/referrals?patient_id={patient}", as_="doctor_a").get_json()
    assert [r["id"] for r in listed["items"]] == [referral]


def test_another_clinic_cannot_print_the_letter(api):
    _patient, referral = urgent_referral(api)
    response = api.get(f"/api/v1/referrals/{referral}/letter.html", as_="doctor_b")
    assert response.status_code == 404
    assert "赵桂兰" not in response.get_data(as_text=True)
