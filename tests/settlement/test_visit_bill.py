"""One bill per visit: the visit's fee and its prescriptions' drugs on one receipt; a drug is
billed only as a line of an issued prescription of the visit (so every prescribing rule applied);
each receipt line's 个人支付 adds up to the receipt's."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from gpassist.settlement.tables import Settlement
from tests.prescriptions.helpers import line, more_drugs, new_patient, new_visit, prescribe

__all__ = ["more_drugs"]  # the fixture, used by name

FEE = {"service": "consult-general", "quantity": 1}


def settle_visit(api, encounter_id, services=(FEE,), key=None, **extra):
    return api.post(
        f"/api/v1/encounters/{encounter_id}/settlement",
        as_="doctor_a",
        json={"services": list(services), **extra},
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def settle(api, body, key=None):
    return api.post(
        "/api/v1/settlements",
        as_="doctor_a",
        json=body,
        headers={"Idempotency-Key": key or uuid.uuid4().hex},
    )


def settlements(database) -> int:
    with database.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(Settlement))


def assert_lines_add_up(receipt):
    lines = receipt["lines"]
    assert sum(x["patient_fen"] for x in lines) == receipt["patient_fen"]
    assert sum(x["insurers_fen"] for x in lines) == receipt["insurers_fen"]
    for x in lines:
        assert 0 <= x["patient_fen"] <= x["amount_fen"]
        assert x["patient_fen"] + x["insurers_fen"] == x["amount_fen"]


def test_the_fee_and_the_drugs_of_a_visit_are_one_bill(api, users, database):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    rx = prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=7)])
    assert rx.status_code == 201, rx.get_json()
    key = uuid.uuid4().hex
    answer = settle_visit(api, visit, key=key)
    assert answer.status_code == 201, answer.get_json()
    receipt = answer.get_json()
    assert [x["item_code"] for x in receipt["lines"]] == ["amlodipine-5mg-tab", "consult-general"]
    assert receipt["total_fen"] == 7 * 30 + 1000
    assert_lines_add_up(receipt)
    paid = api.get(f"/api/v1/prescriptions/{rx.get_json()['id']}", as_="doctor_a").get_json()
    assert paid["settlement_id"] == receipt["settlement_id"]
    # pressing 结算 again (the same key) replays the receipt and charges nothing
    before = settlements(database)
    assert settle_visit(api, visit, key=key).get_json() == receipt
    assert settlements(database) == before
    # a new key finds nothing left to bill on the visit
    again = settle_visit(api, visit)
    assert again.status_code == 409 and "已结算" in again.get_json()["detail_zh"]
    # … and the prescription's own endpoint cannot bill its drugs a second time
    twice = api.post(
        f"/api/v1/prescriptions/{rx.get_json()['id']}/settlement",
        as_="doctor_a",
        json={"services": []},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert twice.status_code == 409
    assert settlements(database) == before


def test_the_visit_is_no_longer_open_once_settled(api, users):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    url = f"/api/v1/patients/{patient}/encounters/today"
    assert [e["id"] for e in api.get(url, as_="doctor_a").get_json()["items"]] == [visit]
    assert settle_visit(api, visit).status_code == 201
    assert api.get(url, as_="doctor_a").get_json()["items"] == []


def test_a_drug_item_outside_a_prescription_is_refused_in_chinese(api, users, database):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    before = settlements(database)
    drug = {"drug": "amlodipine-5mg-tab", "quantity": 7}
    alone = settle(api, {"patient_id": patient, "items": [drug, FEE]})
    assert alone.status_code == 422
    error = alone.get_json()["errors"][0]
    assert error["field"] == "body.items.0.drug" and "处方" in error["message_zh"]
    on_the_visit = settle(api, {"patient_id": patient, "encounter_id": visit, "items": [drug]})
    assert on_the_visit.status_code == 422
    # a line of an issued prescription, but not all of it (or another quantity): refused too
    prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=7)])
    more = settle(
        api,
        {"patient_id": patient, "encounter_id": visit, "items": [{**drug, "quantity": 14}]},
    )
    assert more.status_code == 422
    assert settlements(database) == before
    # as the prescription's line it is billed, and the prescription is paid
    exact = settle(api, {"patient_id": patient, "encounter_id": visit, "items": [drug, FEE]})
    assert exact.status_code == 201, exact.get_json()
    assert_lines_add_up(exact.get_json())


def test_amoxicillin_for_a_penicillin_allergic_patient_cannot_be_billed_by_any_path(
    api, users, database, more_drugs
):
    allergic = new_patient(api, name="赵青", drug_allergies=["青霉素"])
    visit = new_visit(api, allergic)
    before = settlements(database)
    amoxicillin = {"drug": "amoxicillin-0.25g-cap", "quantity": 18}
    # 1. the prescription is refused by the allergy rule, so there is no line to bill
    refused = prescribe(api, visit, [line("amoxicillin-0.25g-cap", 500, "tid", days=3)])
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["code"] == "allergy"
    # 2. the drug directly on a counter bill, with or without the visit
    for body in (
        {"patient_id": allergic, "items": [amoxicillin]},
        {"patient_id": allergic, "encounter_id": visit, "items": [amoxicillin, FEE]},
    ):
        answer = settle(api, body)
        assert answer.status_code == 422, answer.get_json()
        assert "处方" in answer.get_json()["errors"][0]["message_zh"]
    # 3. typed in as a free line, in Chinese or English
    for description in ("阿莫西林胶囊", "阿莫西林", "Amoxicillin 0.25 g"):
        free = {"description": description, "category": "A", "quantity": 18, "unit_price_fen": 5}
        answer = settle(api, {"patient_id": allergic, "items": [free]})
        assert answer.status_code == 422, (description, answer.get_json())
        assert answer.get_json()["errors"][0]["field"] == "body.items.0.description"
    # 4. the visit's bill has only what was prescribed: nothing but the fee
    visit_bill = settle_visit(api, visit)
    assert visit_bill.status_code == 201
    assert [x["item_code"] for x in visit_bill.get_json()["lines"]] == ["consult-general"]
    assert settlements(database) == before + 1


def test_a_refunded_visit_bill_can_be_settled_again(api, users):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=7)])
    first = settle_visit(api, visit).get_json()
    refunded = api.post(
        f"/api/v1/settlements/{first['settlement_id']}/reversal",
        as_="doctor_a",
        json={"reason": "收费有误"},
    )
    assert refunded.status_code == 200, refunded.get_json()
    second = settle_visit(api, visit)
    assert second.status_code == 201, second.get_json()
    assert [x["item_code"] for x in second.get_json()["lines"]] == [
        "amlodipine-5mg-tab",
        "consult-general",
    ]


def test_the_printed_receipt_lines_add_up_to_what_the_patient_pays(api, users):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=7)])
    receipt = settle_visit(api, visit).get_json()
    assert receipt["patient_fen"] > 0
    assert_lines_add_up(receipt)
    page = api.get(
        f"/api/v1/settlements/{receipt['settlement_id']}/receipt.html", as_="doctor_a"
    ).get_data(as_text=True)
    assert "个人支付(元)" in page
    for x in receipt["lines"]:
        assert f"{x['patient_fen'] / 100:.2f}" in page


def test_drugs_prescribed_after_settling_are_billed_without_the_fee_again(api, users):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    assert settle_visit(api, visit).status_code == 201
    prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=7)])
    later = settle_visit(api, visit)
    assert later.status_code == 201, later.get_json()
    assert [x["item_code"] for x in later.get_json()["lines"]] == ["amlodipine-5mg-tab"]
    fee_again = settle(api, {"patient_id": patient, "encounter_id": visit, "items": [FEE]})
    assert fee_again.status_code == 409


def test_a_chronic_visit_bill_without_a_certification_is_refused_in_chinese(api, users, database):
    visit = new_visit(api, new_patient(api))
    before = settlements(database)
    refused = settle_visit(api, visit, visit_type="chronic_outpatient")
    assert refused.status_code == 422
    error = refused.get_json()["errors"][0]
    assert error["field"] == "body.visit_type" and "门诊慢特病" in error["message_zh"]
    assert settlements(database) == before
