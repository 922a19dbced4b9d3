"""A visit is never doubled: a save carries a client key (Idempotency-Key), an edit updates the
saved visit, and today's open visit can be found again after a reload."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.patients.test_patient_api import register

VISIT = {
    "chief_complaint": "咳嗽发热两天",
    "vitals": {"sbp": 150, "dbp": 90, "temperature_c": 38.2},
}


def save(api, patient_id, body=VISIT, key=None, as_="doctor_a"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(
        f"/api/v1/patients/{patient_id}/encounters", as_=as_, json=body, headers=headers
    )


def visits_of(api, patient_id):
    return api.get(f"/api/v1/patients/{patient_id}/encounters", as_="doctor_a").get_json()["items"]


def test_the_same_client_key_records_one_visit(api, users):
    patient = register(api)
    key = "visit-" + uuid.uuid4().hex
    first = save(api, patient["id"], key=key)
    again = save(api, patient["id"], key=key)
    assert first.status_code == 201 and again.status_code == 201, again.get_json()
    assert again.get_json() == first.get_json()
    assert len(visits_of(api, patient["id"])) == 1


def test_without_a_key_each_save_is_a_visit_as_before(api, users):
    patient = register(api)
    save(api, patient["id"])
    save(api, patient["id"])
    assert len(visits_of(api, patient["id"])) == 2


def test_a_key_reused_for_another_visit_is_a_conflict_and_writes_nothing(api, users):
    patient = register(api)
    key = "visit-" + uuid.uuid4().hex
    save(api, patient["id"], key=key)
    other = save(api, patient["id"], body={**VISIT, "chief_complaint": "头晕"}, key=key)
    assert other.status_code == 409
    assert other.get_json()["title_zh"]
    assert len(visits_of(api, patient["id"])) == 1


def test_a_malformed_key_is_refused_with_its_field(api, users):
    patient = register(api)
    bad = save(api, patient["id"], key="short")
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["field"] == "header.Idempotency-Key"
    assert visits_of(api, patient["id"]) == []


def test_keys_are_per_doctor(api, users):
    patient = register(api)
    key = "visit-" + uuid.uuid4().hex
    save(api, patient["id"], key=key, as_="doctor_a")
    save(api, patient["id"], key=key, as_="doctor_a2")
    assert len(visits_of(api, patient["id"])) == 2


def test_a_double_tap_sent_at_once_records_one_visit(api, users, app):
    patient = register(api)
    key = "visit-" + uuid.uuid4().hex
    token = users["doctor_a"].token

    def tap(_):
        return app.test_client().post(
            f"/api/v1/patients/{patient['id']}/encounters",
            json=VISIT,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(tap, range(4)))
    assert {a.status_code for a in answers} == {201}
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert len(visits_of(api, patient["id"])) == 1


def test_an_edit_after_saving_updates_the_same_visit(api, users):
    patient = register(api)
    visit = save(api, patient["id"], key="visit-" + uuid.uuid4().hex).get_json()
    edited = api.patch(
        f"/api/v1/encounters/{visit['id']}",
        as_="doctor_a",
        json={"chief_complaint": "咳嗽发热三天", "vitals": {"sbp": 146, "dbp": 88}},
    )
    assert edited.status_code == 200, edited.get_json()
    body = edited.get_json()
    assert body["id"] == visit["id"] and body["chief_complaint"] == "咳嗽发热三天"
    # vitals given replace the recorded ones as a whole: the temperature left out is cleared
    assert body["vitals"]["sbp"] == 146 and body["vitals"]["temperature_c"] is None
    assert len(visits_of(api, patient["id"])) == 1
    bad = api.patch(
        f"/api/v1/encounters/{visit['id']}", as_="doctor_a", json={"vitals": {"sbp": 90, "dbp": 95}}
    )
    assert bad.status_code == 422


def test_todays_open_visit_is_found_again(api, users):
    patient = register(api)
    url = f"/api/v1/patients/{patient['id']}/encounters/today"
    assert api.get(url, as_="doctor_a").get_json()["items"] == []
    save(api, patient["id"], body={**VISIT, "occurred_at": "2020-01-02T09:00:00+08:00"})
    assert api.get(url, as_="doctor_a").get_json()["items"] == []  # not today
    visit = save(api, patient["id"], key="visit-" + uuid.uuid4().hex).get_json()
    assert [e["id"] for e in api.get(url, as_="doctor_a").get_json()["items"]] == [visit["id"]]
    # another clinic's doctor does not see the patient at all
    assert api.get(url, as_="doctor_b").status_code == 404
