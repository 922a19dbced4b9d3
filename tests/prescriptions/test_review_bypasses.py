"""Review findings: rules that a second prescription could bypass, and a settlement that a
replayed Idempotency-Key could attach to the wrong prescription."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from gpassist.auth.tables import User
from gpassist.errors import Conflict
from gpassist.prescriptions import service
from gpassist.prescriptions.schemas import PrescriptionSettleIn
from gpassist.prescriptions.tables import Prescription
from gpassist.settlement.tables import Settlement
from tests.followup.helpers import diagnosed_patient, enrol
from tests.prescriptions.helpers import (
    line,
    new_patient,
    new_visit,
    prescribe,
    refusals,
    today,
)


def test_a_second_prescription_the_same_day_cannot_add_up_past_seven_days(api, users, more_drugs):
    patient = new_patient(api)
    first = prescribe(api, new_visit(api, patient), [line("paracetamol-0.5g-tab", 500, "tid")])
    assert first.status_code == 201, first.get_json()
    again = prescribe(api, new_visit(api, patient), [line("paracetamol-0.5g-tab", 500, "tid", 1)])
    assert refusals(again) == {"body.lines.0.days": "supply_in_hand"}
    assert "7" in again.get_json()["errors"][0]["message_zh"]
    # another drug is not affected
    other = prescribe(api, new_visit(api, patient), [line("amoxicillin-0.25g-cap", 250, "tid")])
    assert other.status_code == 201, other.get_json()


def test_a_chronic_renewal_counts_the_supply_still_in_hand(api, users, database, more_drugs):
    patient = diagnosed_patient(api)
    enrol(api, patient, "hypertension")
    reason = {"long_prescription_reason": "血压稳定，长处方"}
    visit = new_visit(api, patient)
    assert (
        prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=56)], **reason).status_code == 201
    )
    # 56 days in hand: 28 more reaches 84 exactly and passes, 29 would be refused
    over = prescribe(
        api, new_visit(api, patient), [line("amlodipine-5mg-tab", 5, days=29)], **reason
    )
    assert refusals(over) == {"body.lines.0.days": "supply_in_hand"}
    at = prescribe(api, new_visit(api, patient), [line("amlodipine-5mg-tab", 5, days=28)])
    assert at.status_code == 201, at.get_json()


def test_a_key_replayed_on_an_identical_prescription_does_not_mark_it_paid(
    api, database, users, more_drugs
):
    patient = new_patient(api)
    rosuvastatin = [line("rosuvastatin-10mg-tab", 10)]
    rx_a = prescribe(api, new_visit(api, patient), rosuvastatin).get_json()
    headers = {"Idempotency-Key": "counter-key-1"}
    paid = api.post(
        f"/api/v1/prescriptions/{rx_a['id']}/settlement", as_="doctor_a", json={}, headers=headers
    )
    assert paid.status_code == 201, paid.get_json()
    with database.transaction(actor="test") as session:  # last month's: its supply ran out
        session.get(Prescription, rx_a["id"]).issued_on -= dt.timedelta(days=30)
    rx_b = prescribe(api, new_visit(api, patient), rosuvastatin).get_json()
    # the same bill (patient, drug, quantity) under the same key: a replay of A's settlement,
    # which must not mark B as paid
    reused = api.post(
        f"/api/v1/prescriptions/{rx_b['id']}/settlement", as_="doctor_a", json={}, headers=headers
    )
    assert reused.status_code == 409, reused.get_json()
    read = api.get(f"/api/v1/prescriptions/{rx_b['id']}", as_="doctor_a").get_json()
    assert read["settlement_id"] is None
    fresh = api.post(
        f"/api/v1/prescriptions/{rx_b['id']}/settlement",
        as_="doctor_a",
        json={},
        headers={"Idempotency-Key": "counter-key-2"},
    )
    assert fresh.status_code == 201
    assert fresh.get_json()["settlement_id"] != paid.get_json()["settlement_id"]
    with database.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Settlement)) == 2


def test_two_counters_settling_one_prescription_at_once_settle_it_once(
    api, database, users, more_drugs, backend
):
    if backend != "postgresql":
        pytest.skip("SQLite serialises writing transactions (BEGIN IMMEDIATE): no interleaving")
    rx = prescribe(
        api, new_visit(api, new_patient(api)), [line("rosuvastatin-10mg-tab", 10)]
    ).get_json()
    url = f"/api/v1/prescriptions/{rx['id']}/settlement"
    with pytest.raises(Conflict) as caught, database.transaction(actor="test") as late:
        user = late.get(User, users["doctor_a"].id)
        # this counter read it unsettled (held, so the session keeps the stale copy) ...
        _read_earlier = late.get(Prescription, rx["id"])
        first = api.post(url, as_="doctor_a", json={}, headers={"Idempotency-Key": "counter-1"})
        assert first.status_code == 201  # ... and the other counter settled it meanwhile
        service.settle(late, user, rx["id"], PrescriptionSettleIn(), "counter-2", today())
    assert "already settled" in str(caught.value)
    with database.sessionmaker() as session:
        assert session.scalar(select(func.count()).select_from(Settlement)) == 1
        settled = session.get(Prescription, rx["id"]).settlement_id
        assert settled == first.get_json()["settlement_id"]


def test_a_cancelled_order_is_not_supply_in_hand(api, users, more_drugs):
    patient = new_patient(api)
    paracetamol = [line("paracetamol-0.5g-tab", 500, "tid")]
    rx = prescribe(api, new_visit(api, patient), paracetamol).get_json()
    assert rx["pharmacy_order_id"]  # the clinic does not stock it: ordered centrally
    cancelled = api.post(
        f"/api/v1/pharmacy/orders/{rx['pharmacy_order_id']}/cancel",
        as_="pharmacist",
        json={"reason": "缺货 out of stock"},
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    again = prescribe(api, new_visit(api, patient), paracetamol)
    assert again.status_code == 201, again.get_json()
