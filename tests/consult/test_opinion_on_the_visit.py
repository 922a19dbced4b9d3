"""The specialist's opinion reaches the requesting doctor after the room is left: listed with the
patient's consultations, marked unread for that doctor until opened (kept on the server, per
doctor); the case summary carries the patient's current medicines and chronic programs."""

from __future__ import annotations

import pytest

from gpassist.extensions import socketio
from tests.followup.helpers import diagnosed_patient, enrol
from tests.prescriptions.helpers import line, more_drugs, prescribe  # noqa: F401  (fixture)

pytestmark = pytest.mark.usefixtures("more_drugs")
REQUEST = {"reason": "血压控制不佳，请会诊", "urgency": "routine", "department": "cardiology"}
OPINION = {
    "assessment": "高血压2级，控制不佳",
    "advice": "加用氢氯噻嗪，两周后复诊",
    "refer": False,
}


def socket(app, users, name):
    return socketio.test_client(app, namespace="/consult", auth={"token": users[name].token})


def enrolled_patient_with_a_visit(api) -> tuple[int, int]:
    patient = diagnosed_patient(api)
    enrol(api, patient)
    visit = api.post(
        f"/api/v1/patients/{patient}/encounters",
        as_="doctor_a",
        json={"chief_complaint": "头晕", "vitals": {"sbp": 168, "dbp": 100}},
    ).get_json()["id"]
    prescribed = prescribe(api, visit, [line("amlodipine-5mg-tab", 5, days=28)])
    assert prescribed.status_code == 201, prescribed.get_json()
    return patient, visit


def close_with_opinion(app, users, consultation_id: int) -> None:
    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    specialist = socket(app, users, "specialist")
    ref = {"consultation_id": consultation_id}
    assert specialist.emit("accept", ref, namespace="/consult", callback=True)["ok"]
    closed = specialist.emit(
        "close", {**ref, "opinion": OPINION}, namespace="/consult", callback=True
    )
    assert closed["ok"], closed
    specialist.disconnect(namespace="/consult")


def test_the_summary_carries_current_medicines_and_programs(api, users):
    _patient, visit = enrolled_patient_with_a_visit(api)
    opened = api.post(f"/api/v1/encounters/{visit}/consultations", as_="doctor_a", json=REQUEST)
    assert opened.status_code == 201, opened.get_json()
    summary = opened.get_json()["summary"]
    (medicine,) = summary["medicines"]
    assert medicine["drug"] == "amlodipine-5mg-tab" and medicine["strength"] == "5 mg"
    assert (medicine["dose"], medicine["frequency"], medicine["days"]) == (5, "qd", 28)
    assert medicine["frequency_name"]["zh"] == "每日 1 次"
    (program,) = summary["programs"]
    assert program["program"] == "hypertension" and program["name"]["zh"] == "高血压"
    assert program["next_due"]


def test_the_opinion_is_unread_for_the_doctor_until_opened(app, api, users):
    patient, visit = enrolled_patient_with_a_visit(api)
    consultation = api.post(
        f"/api/v1/encounters/{visit}/consultations", as_="doctor_a", json=REQUEST
    ).get_json()
    cid = consultation["id"]
    assert (
        consultation["department_name"]["zh"].endswith("心血管内科")
        or consultation["department_name"]["zh"]
    )
    early = api.post(f"/api/v1/consultations/{cid}/opinion-read", as_="doctor_a")
    assert early.status_code == 409  # nothing to read yet

    close_with_opinion(app, users, cid)
    listed = api.get(f"/api/v1/consultations?patient={patient}", as_="doctor_a").get_json()
    (item,) = listed["items"]
    assert item["id"] == cid and item["opinion"]["advice"] == OPINION["advice"]
    assert item["opinion_unread"] is True
    # Another patient's list does not carry it; the specialist who wrote it has nothing unread.
    other = api.get(f"/api/v1/consultations?patient={patient + 1000}", as_="doctor_a")
    assert other.get_json()["items"] == []
    (theirs,) = api.get("/api/v1/consultations", as_="specialist").get_json()["items"]
    assert theirs["opinion_unread"] is False

    read = api.post(f"/api/v1/consultations/{cid}/opinion-read", as_="doctor_a")
    assert read.status_code == 200 and read.get_json()["opinion_unread"] is False
    again = api.post(f"/api/v1/consultations/{cid}/opinion-read", as_="doctor_a")
    assert again.status_code == 200  # opening it twice is harmless
    (after,) = api.get(f"/api/v1/consultations?patient={patient}", as_="doctor_a").get_json()[
        "items"
    ]
    assert after["opinion_unread"] is False
    assert (
        api.get(f"/api/v1/consultations/{cid}", as_="doctor_a").get_json()["opinion_unread"]
        is False
    )

    # Who may mark it: not a specialist (role), not another clinic's doctor (not found).
    assert (
        api.post(f"/api/v1/consultations/{cid}/opinion-read", as_="specialist").status_code == 403
    )
    assert api.post(f"/api/v1/consultations/{cid}/opinion-read", as_="doctor_b").status_code == 404
