"""Who may reverse a settlement (docs/roles.md): the clinic's own village doctor on the
settlement's day, an admin any day; always with a reason, which the audit log keeps."""

from __future__ import annotations

from sqlalchemy import select

from gpassist.audit.tables import AuditEvent
from gpassist.db import shanghai_today
from tests.settlement.test_settlement_api import bill, poor_chronic_patient, settle

REASON = {"reason": "退药：开错剂量"}


def settled_today(api) -> int:
    patient = poor_chronic_patient(api)
    response = settle(api, bill(patient, bill_date=shanghai_today().isoformat()))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["settlement_id"]


def settled_on_an_earlier_day(api) -> int:
    response = settle(api, bill(poor_chronic_patient(api)))  # dated 2026-03-02
    assert response.status_code == 201, response.get_json()
    return response.get_json()["settlement_id"]


def reverse(api, settlement_id: int, as_: str, body=REASON):
    return api.post(f"/api/v1/settlements/{settlement_id}/reversal", as_=as_, json=body)


def status_of(api, settlement_id: int) -> str:
    return api.get(f"/api/v1/settlements/{settlement_id}", as_="admin").get_json()["status"]


def reversal_events(database, settlement_id: int) -> list[AuditEvent]:
    with database.sessionmaker() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "reverse",
                    AuditEvent.entity == "settlements",
                    AuditEvent.entity_id == str(settlement_id),
                )
            )
        )


def test_the_clinics_doctor_reverses_todays_settlement_with_a_reason_in_the_audit_log(
    api, users, database
):
    settlement_id = settled_today(api)
    response = reverse(api, settlement_id, "doctor_a2")  # a colleague at the same clinic
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "reversed"
    (event,) = reversal_events(database, settlement_id)
    assert event.actor == "doctor_a2" and event.actor_id == users["doctor_a2"].id
    assert event.changes["reason"] == REASON["reason"]
    assert event.changes["role"] == "village_doctor"


def test_a_reversal_without_a_reason_is_refused_and_changes_nothing(api, users, database):
    settlement_id = settled_today(api)
    for body in ({}, {"reason": "   "}):
        response = reverse(api, settlement_id, "doctor_a", body)
        assert response.status_code == 422
        assert response.get_json()["errors"][0]["field"] == "body.reason"
    assert status_of(api, settlement_id) == "settled"
    assert reversal_events(database, settlement_id) == []


def test_another_clinics_doctor_gets_404_as_for_reading_it(api, users, database):
    settlement_id = settled_today(api)
    response = reverse(api, settlement_id, "doctor_b")
    assert response.status_code == 404
    assert status_of(api, settlement_id) == "settled"


def test_the_clinics_doctor_may_not_reverse_a_closed_day_but_an_admin_may(api, users, database):
    settlement_id = settled_on_an_earlier_day(api)
    refused = reverse(api, settlement_id, "doctor_a")
    assert refused.status_code == 403
    assert "admin" in refused.get_json()["detail"]
    assert status_of(api, settlement_id) == "settled"

    done = reverse(api, settlement_id, "admin", {"reason": "医保局通知：重复结算"})
    assert done.status_code == 200, done.get_json()
    (event,) = reversal_events(database, settlement_id)
    assert event.actor == "admin" and event.changes["role"] == "admin"
    assert event.changes["reason"] == "医保局通知：重复结算"


def test_roles_that_never_settle_may_not_reverse(api, users):
    settlement_id = settled_today(api)
    assert reverse(api, settlement_id, "pharmacist").status_code == 403
    assert reverse(api, settlement_id, "specialist").status_code == 403
    assert status_of(api, settlement_id) == "settled"
