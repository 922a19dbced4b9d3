"""Every write lands in the audit log: who, what, when, which record; never the values."""

from __future__ import annotations

import json

from tests.patients.test_patient_api import register


def test_patient_registration_is_audited_without_values(api, users):
    patient = register(api, name="赵大宝")
    events = api.get(
        f"/api/v1/audit-events?entity=patients&entity_id={patient['id']}", as_="admin"
    ).get_json()["items"]
    assert len(events) == 1
    event = events[0]
    assert event["action"] == "create"
    assert event["actor"] == "doctor_a"
    assert event["actor_id"] == users["doctor_a"].id
    assert "name" in event["changes"]["fields"]
    assert "赵大宝" not in json.dumps(event, ensure_ascii=False)
    assert event["request_id"]


def test_updates_record_which_fields_changed(api, users):
    patient = register(api)
    api.patch(f"/api/v1/patients/{patient['id']}", as_="doctor_a", json={"phone": "13700000000"})
    events = api.get(
        f"/api/v1/audit-events?entity=patients&entity_id={patient['id']}", as_="admin"
    ).get_json()["items"]
    assert [e["action"] for e in events] == ["update", "create"]
    assert events[0]["changes"]["fields"] == ["phone"]


def test_login_attempts_are_audited(client, api, users):
    client.post("/api/v1/auth/token", json={"username": "doctor_b", "password": "wrong one!!"})
    events = api.get("/api/v1/audit-events?entity=users", as_="admin").get_json()["items"]
    assert any(e["action"] == "login_failed" for e in events)


def test_failed_write_leaves_no_record_and_no_audit(api, users):
    """The phone is changed in the session before the household check fails: nothing of it may
    reach the database or the audit log."""
    patient = register(api, phone="13900000001")
    url = f"/api/v1/audit-events?entity=patients&entity_id={patient['id']}"
    audit_before = api.get(url, as_="admin").get_json()["items"]
    bad = api.patch(
        f"/api/v1/patients/{patient['id']}",
        as_="doctor_a",
        json={"phone": "13900000002", "household_id": 999},
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "body.household_id"
    after = api.get(f"/api/v1/patients/{patient['id']}", as_="doctor_a").get_json()
    assert after["phone"] == "13900000001"
    assert api.get(url, as_="admin").get_json()["items"] == audit_before


def test_failed_login_does_not_log_what_was_typed(client, api, users):
    client.post("/api/v1/auth/token", json={"username": "my secret pw", "password": "whatever1"})
    events = api.get("/api/v1/audit-events?limit=500", as_="admin").get_data(as_text=True)
    assert "my secret pw" not in events


def test_only_admins_read_the_audit_log(api, users):
    for role in ("doctor_a", "specialist", "pharmacist"):
        assert api.get("/api/v1/audit-events", as_=role).status_code == 403
