"""The prescription slip, the receipt and the referral letter name the confirmed diagnosis, with
its Chinese name and ICD-10 code."""

from __future__ import annotations

import uuid

from tests.followup.helpers import diagnosed_patient, enrol, follow_up
from tests.prescriptions.helpers import line, more_drugs, new_patient, new_visit, prescribe

__all__ = ["more_drugs"]  # the fixture, used by name


def confirm(api, encounter_id: int, **body) -> dict:
    response = api.post(f"/api/v1/encounters/{encounter_id}/diagnosis", as_="doctor_a", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_the_slip_and_its_receipt_name_the_picked_diagnosis(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    confirm(api, visit, icd10="J18.9")  # picked from the list: 肺炎
    rx = prescribe(api, visit, [line("paracetamol-0.5g-tab", 500, "tid", days=3)])
    assert rx.status_code == 201, rx.get_json()
    rx = rx.get_json()
    slip = api.get(f"/api/v1/prescriptions/{rx['id']}/slip.html", as_="doctor_a")
    assert "诊断：肺炎（J18.9）" in slip.get_data(as_text=True)

    settled = api.post(
        f"/api/v1/prescriptions/{rx['id']}/settlement",
        as_="doctor_a",
        json={"services": []},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert settled.status_code == 201, settled.get_json()
    receipt = settled.get_json()
    assert [(d["zh"], d["icd10"]) for d in receipt["diagnoses"]] == [("肺炎", "J18.9")]
    page = api.get(f"/api/v1/settlements/{receipt['settlement_id']}/receipt.html", as_="doctor_a")
    assert "诊断：肺炎（J18.9）" in page.get_data(as_text=True)


def test_a_counter_receipt_names_the_days_visit_and_a_slip_without_one_says_so(
    api, users, more_drugs
):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    rx = prescribe(api, visit, [line("paracetamol-0.5g-tab", 500, "tid", days=3)]).get_json()
    slip = api.get(f"/api/v1/prescriptions/{rx['id']}/slip.html", as_="doctor_a")
    assert "诊断：—" in slip.get_data(as_text=True)
    confirm(api, visit, icd10="I10")  # 高血压, the program's name
    counter = api.post(
        "/api/v1/settlements",
        as_="doctor_a",
        json={"patient_id": patient, "items": [{"service": "consult-general", "quantity": 1}]},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert counter.status_code == 201, counter.get_json()
    assert [d["zh"] for d in counter.get_json()["diagnoses"]] == ["高血压"]


def test_the_referral_letter_names_the_programs_diagnosis(api):
    patient = diagnosed_patient(api, name="赵桂兰")
    enrol(api, patient)
    visit = follow_up(api, patient, sbp=186, dbp=112)["follow_ups"][0]
    referral = visit["referral_record"]["id"]
    page = api.get(f"/api/v1/referrals/{referral}/letter.html", as_="doctor_a")
    assert "高血压（I10）" in page.get_data(as_text=True)


def test_a_diagnosis_taken_off_the_visit_is_no_longer_printed(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    confirm(api, visit, icd10="J18.9")
    confirm(api, visit, icd10="I10", zh="恶性高血压")
    taken_off = api.patch(
        f"/api/v1/encounters/{visit}", as_="doctor_a", json={"diagnoses": ["I10"]}
    )
    assert taken_off.status_code == 200, taken_off.get_json()
    rx = prescribe(api, visit, [line("paracetamol-0.5g-tab", 500, "tid", days=3)]).get_json()
    slip = api.get(f"/api/v1/prescriptions/{rx['id']}/slip.html", as_="doctor_a")
    assert "诊断：恶性高血压（I10）" in slip.get_data(as_text=True)
