"""Prescribing through the API: every rule refuses at its boundary with the field named, a
refused prescription writes nothing, the split, the slip, the bill, and who may see what."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gpassist.pharmacy.tables import PharmacyOrder, StockLot, StockMovement
from gpassist.prescriptions.tables import Prescription, PrescriptionLine
from gpassist.settlement.tables import Bill
from tests.followup.helpers import diagnosed_patient, enrol
from tests.prescriptions.helpers import (
    line,
    new_patient,
    new_visit,
    prescribe,
    receive,
    refusals,
)


def counts(database) -> tuple:
    with database.sessionmaker() as session:
        return (
            *(
                session.scalar(select(func.count()).select_from(table))
                for table in (Prescription, PrescriptionLine, PharmacyOrder, StockMovement)
            ),
            tuple(session.execute(select(StockLot.id, StockLot.on_hand, StockLot.reserved)).all()),
        )


def test_at_the_limits_each_rule_passes_and_one_step_beyond_it_refuses(api, users, more_drugs):
    receive(api, "amlodipine-5mg-tab", 100, "AML-1", 300, as_="doctor_a")
    patient = new_patient(api)
    visit = new_visit(api, patient)
    five = [
        line("amlodipine-5mg-tab", 5, "bid"),  # 10 mg a day: the maximum
        line("metformin-500mg-tab", 500, "qid", days=7),  # 2000 mg: the maximum
        line("rosuvastatin-10mg-tab", 10),
        line("paracetamol-0.5g-tab", 500, "tid", days=3),
        line("lianhua-qingwen-cap", 4, "tid", days=7, quantity=84),
    ]
    assert prescribe(api, visit, five).status_code == 201
    # the probes below go to a patient with no supply in hand (it would be refused as well)
    visit = new_visit(api, new_patient(api, name="周二"))
    sixth = line("aspirin-100mg-ectab", 100)
    assert refusals(prescribe(api, visit, [*five, sixth])) == {"body.lines": "too_many_drugs"}
    over_dose = [line("amlodipine-5mg-tab", 5.5, "bid")]
    assert refusals(prescribe(api, visit, over_dose)) == {"body.lines.0.dose": "dose_above_maximum"}
    eight_days = [line("amlodipine-5mg-tab", 5, days=8)]
    assert refusals(prescribe(api, visit, eight_days)) == {"body.lines.0.days": "too_many_days"}
    one_too_many = [line("amlodipine-5mg-tab", 5, quantity=8)]
    assert refusals(prescribe(api, visit, one_too_many)) == {
        "body.lines.0.quantity": "quantity_exceeds_days"
    }
    twice = [line("metformin-500mg-tab", 500), line("metformin-0.5g-tab", 500)]
    assert refusals(prescribe(api, visit, twice)) == {"body.lines.1.drug": "duplicate_drug"}
    unknown = [line("no-such-drug", 1)]
    assert refusals(prescribe(api, visit, unknown)) == {"body.lines.0.drug": "invalid"}


def test_long_prescription_for_an_enrolled_patient(api, users, more_drugs):
    patient = diagnosed_patient(api)
    visit = new_visit(api, patient)
    twelve_weeks = [line("amlodipine-5mg-tab", 5, days=84)]
    assert refusals(prescribe(api, visit, twelve_weeks)) == {"body.lines.0.days": "too_many_days"}
    enrol(api, patient)
    assert refusals(prescribe(api, visit, twelve_weeks)) == {
        "body.long_prescription_reason": "missing"
    }
    four_weeks = prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=28)])
    assert four_weeks.status_code == 201
    # 28 days in hand: a further 84 would be 112 (test_review_bypasses covers that rule)
    patient = diagnosed_patient(api, name="钱二")
    enrol(api, patient)
    visit = new_visit(api, patient)
    done = prescribe(api, visit, twelve_weeks, long_prescription_reason="血压稳定，住得远")
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["lines"][0]["quantity"] == 84
    thirteen = [line("amlodipine-5mg-tab", 5, days=85)]
    assert refusals(prescribe(api, visit, thirteen, long_prescription_reason="路远")) == {
        "body.lines.0.days": "too_many_days"
    }


def test_patient_specific_rules(api, users, more_drugs):
    allergic = new_patient(api, name="赵青", drug_allergies=["青霉素"])
    assert refusals(
        prescribe(api, new_visit(api, allergic), [line("amoxicillin-0.25g-cap", 500, "tid")])
    ) == {"body.lines.0.drug": "allergy"}

    pregnant = new_patient(api, name="钱孕", birth_date="1998-01-01", pregnancy_status="pregnant")
    statin = [line("rosuvastatin-10mg-tab", 10)]
    assert refusals(prescribe(api, new_visit(api, pregnant), statin)) == {
        "body.lines.0.drug": "contraindicated_in_pregnancy"
    }

    child = new_patient(api, name="李小", sex="male", birth_date="2022-06-01")
    amoxicillin = [line("amoxicillin-0.25g-cap", 250, "tid")]  # one capsule: 750 mg a day
    unweighed = new_visit(api, child)
    assert refusals(prescribe(api, unweighed, amoxicillin)) == {"body.weight_kg": "missing"}
    assert prescribe(api, unweighed, amoxicillin, weight_kg=8.4).status_code == 201  # 90 mg/kg
    child = new_patient(api, name="李小二", sex="male", birth_date="2022-06-01")
    weighed = new_visit(api, child, weight_kg=8.3)  # the visit's weight is used
    assert refusals(prescribe(api, weighed, amoxicillin)) == {
        "body.lines.0.dose": "dose_above_child_maximum"
    }


def test_interactions_within_and_with_current_drugs(api, users, more_drugs):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    pair = [line("simvastatin-20mg-tab", 20), line("clarithromycin-0.25g-tab", 250, "bid")]
    response = prescribe(api, visit, pair)
    assert refusals(response) == {"body.lines.1.drug": "interaction"}
    assert "来源" in response.get_json()["errors"][0]["message_zh"]
    assert prescribe(api, visit, [line("warfarin-2.5mg-tab", 2.5)]).status_code == 201
    later = new_visit(api, patient)
    assert refusals(prescribe(api, later, [line("ibuprofen-0.2g-tab", 200, "tid")])) == {
        "body.lines.0.drug": "interaction_with_current"
    }


def test_a_refused_prescription_writes_nothing(api, database, users, more_drugs):
    receive(api, "amlodipine-5mg-tab", 100, "AML-1", 300, as_="doctor_a")
    visit = new_visit(api, new_patient(api, drug_allergies=["青霉素"]))
    before = counts(database)
    # The first line alone would be dispensed from the shelf and the second ordered centrally;
    # the third breaks a rule, so nothing of it may happen.
    lines = [
        line("amlodipine-5mg-tab", 5),
        line("rosuvastatin-10mg-tab", 10),
        line("amoxicillin-0.25g-cap", 500, "tid"),
    ]
    assert refusals(prescribe(api, visit, lines)) == {"body.lines.2.drug": "allergy"}
    assert counts(database) == before
    out_of_range = prescribe(api, visit, [line("amlodipine-5mg-tab", -1)])
    assert out_of_range.status_code == 422
    assert out_of_range.get_json()["errors"][0]["field"] == "body.lines.0.dose"
    assert counts(database) == before


def test_stock_short_at_the_clinic_sends_the_line_to_the_central_pharmacy(api, users, more_drugs):
    receive(api, "amlodipine-5mg-tab", 6, "AML-1", 300, as_="doctor_a")
    visit = new_visit(api, new_patient(api))
    rx = prescribe(api, visit, [line("amlodipine-5mg-tab", 5)]).get_json()  # needs 7
    assert rx["lines"][0]["source"] == "central" and rx["pharmacy_order_id"]
    shelf = api.get("/api/v1/pharmacy/stock", as_="doctor_a").get_json()["items"]
    assert shelf[0]["on_hand"] == 6
    visit = new_visit(api, new_patient(api, name="吴一"))  # the first has 7 days in hand
    everything_here = prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=1)]).get_json()
    assert everything_here["lines"][0]["source"] == "clinic"
    assert everything_here["pharmacy_order_id"] is None


def test_who_may_prescribe_and_read(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    body = [line("rosuvastatin-10mg-tab", 10)]
    assert prescribe(api, visit, body, as_="pharmacist").status_code == 403
    assert prescribe(api, visit, body, as_="doctor_b").status_code == 404
    rx = prescribe(api, visit, body).get_json()
    url = f"/api/v1/prescriptions/{rx['id']}"
    assert api.get(url, as_="doctor_b").status_code == 404
    assert api.get(url, as_="specialist").status_code == 403
    assert api.get(url, as_="pharmacist").status_code == 200  # it has a central order
    assert api.get(url, as_="admin").status_code == 200
    receive(api, "amlodipine-5mg-tab", 10, "AML-1", 300, as_="doctor_a")
    local = prescribe(api, visit, [line("amlodipine-5mg-tab", 5)]).get_json()
    assert api.get(f"/api/v1/prescriptions/{local['id']}", as_="pharmacist").status_code == 404
    listed = api.get(f"/api/v1/encounters/{visit}/prescriptions", as_="doctor_a").get_json()
    assert [p["id"] for p in listed["items"]] == [rx["id"], local["id"]]


def test_slip_is_chinese_and_names_the_delivery(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    rx = prescribe(
        api, visit, [line("rosuvastatin-10mg-tab", 10, "qn", instructions="睡前服")]
    ).get_json()
    slip = api.get(f"/api/v1/prescriptions/{rx['id']}/slip.html", as_="doctor_a")
    assert slip.status_code == 200 and slip.mimetype == "text/html"
    text = slip.get_data(as_text=True)
    for expected in (
        "处方笺",
        "孙大妈",
        "瑞舒伐他汀钙片",
        "每次 1 片（10 mg），每晚 1 次",
        "睡前服",
        "中心药房",
    ):
        assert expected in text
    assert api.get(f"/api/v1/prescriptions/{rx['id']}/slip.html", as_="doctor_b").status_code == 404


@pytest.mark.parametrize("services", [[], ["consult-general"]])
def test_prescription_lines_become_the_bills_line_items(api, database, users, more_drugs, services):
    visit = new_visit(api, new_patient(api))
    rx = prescribe(
        api, visit, [line("rosuvastatin-10mg-tab", 10), line("paracetamol-0.5g-tab", 500, "tid")]
    ).get_json()
    url = f"/api/v1/prescriptions/{rx['id']}/settlement"
    headers = {"Idempotency-Key": f"rx-{rx['id']}-test"}
    unknown = api.post(url, as_="doctor_a", json={"services": ["nope"]}, headers=headers)
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"][0]["field"] == "body.services.0"
    settled = api.post(url, as_="doctor_a", json={"services": services}, headers=headers)
    assert settled.status_code == 201, settled.get_json()
    receipt = settled.get_json()
    drugs = [(x["item_code"], x["quantity"]) for x in receipt["lines"]][: len(rx["lines"])]
    assert drugs == [(x["drug"], x["quantity"]) for x in rx["lines"]]
    assert len(receipt["lines"]) == len(rx["lines"]) + len(services)
    assert sum(x["amount_fen"] for x in receipt["lines"][:2]) == rx["total_fen"]
    replay = api.post(url, as_="doctor_a", json={"services": services}, headers=headers)
    assert replay.get_json()["settlement_id"] == receipt["settlement_id"]
    with database.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Bill)) == 1
    read = api.get(f"/api/v1/prescriptions/{rx['id']}", as_="doctor_a").get_json()
    assert read["settlement_id"] == receipt["settlement_id"]
    other_key = api.post(
        url,
        as_="doctor_a",
        json={"services": services},
        headers={"Idempotency-Key": "another-key-1"},
    )
    assert other_key.status_code == 409
