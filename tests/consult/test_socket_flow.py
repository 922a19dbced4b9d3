"""The whole consultation over real Socket.IO clients against a real server process."""

from __future__ import annotations

import pytest
import requests
import socketio as socketio_client

from tests.consult.conftest import REQUEST, open_and_accept

pytestmark = pytest.mark.slow


def test_request_accept_chat_call_and_close_with_opinion(world, start_server, peers):
    server = start_server(world)
    specialist = peers(server.base, world.tokens["specialist"])
    on_call = specialist.ok("availability", {"available": True})
    assert on_call["available"] is True and on_call["items"] == []
    doctor = peers(server.base, world.tokens["doctor_a"])

    requested = doctor.ok("request", {"encounter_id": world.encounters["doctor_a"], **REQUEST})
    consultation = requested["consultation"]
    assert consultation["state"] == "requested"
    assert consultation["department"] == "CH/cardiology"
    assert consultation["summary"]["vitals"] == {"sbp": 172, "dbp": 96, "heart_rate": 104}
    # The available specialist hears of it; the doctor hears how many were told.
    queued = specialist.wait_for("queue_changed", lambda p: p["change"] == "requested")
    assert queued["consultation"]["id"] == consultation["id"]
    status = doctor.wait_for("consultation", lambda p: "specialists_notified" in p)
    assert status["specialists_notified"] == 1
    assert [c["id"] for c in specialist.ok("queue")["items"]] == [consultation["id"]]

    accepted = specialist.ok("accept", {"consultation_id": consultation["id"]})
    assert accepted["consultation"]["state"] == "accepted"
    assert accepted["consultation"]["specialist_id"] == world.ids["specialist"]
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "accepted")
    assert specialist.ok("queue")["items"] == []

    sent = doctor.ok(
        "message",
        {"consultation_id": consultation["id"], "client_msg_id": "d-1", "text": "心电图见附件"},
    )
    assert sent["message"]["seq"] == 1 and sent["duplicate"] is False
    relayed = specialist.wait_for("message", lambda m: m["seq"] == 1)
    assert relayed["text"] == "心电图见附件" and relayed["sender_id"] == world.ids["doctor_a"]
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "active")

    specialist.ok("typing", {"consultation_id": consultation["id"], "typing": True})
    assert doctor.wait_for("typing")["user_id"] == world.ids["specialist"]
    specialist.ok("read", {"consultation_id": consultation["id"], "seq": 1})
    assert doctor.wait_for("read")["seq"] == 1

    offer = {"type": "offer", "sdp": "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n"}
    doctor.ok("signal", {"consultation_id": consultation["id"], "kind": "offer", "data": offer})
    got = specialist.wait_for("signal", lambda s: s["kind"] == "offer")
    assert got["data"] == offer and got["from_user_id"] == world.ids["doctor_a"]
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 54400 typ host"}
    specialist.ok(
        "signal", {"consultation_id": consultation["id"], "kind": "ice", "data": candidate}
    )
    assert doctor.wait_for("signal", lambda s: s["kind"] == "ice")["data"] == candidate
    assert "signal" not in specialist.received or all(
        s["from_user_id"] != world.ids["specialist"] for s in specialist.received["signal"]
    )

    opinion = {
        "assessment": "高血压3级，心动过速，不除外急性冠脉综合征",
        "advice": "立即转县医院心内科",
        "refer": True,
        "prescription_advice": "阿司匹林300mg嚼服",
    }
    closed = specialist.ok("close", {"consultation_id": consultation["id"], "opinion": opinion})
    assert closed["consultation"]["state"] == "closed"
    assert closed["consultation"]["opinion"] == opinion
    referral_id = closed["consultation"]["referral_id"]
    assert referral_id is not None
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "closed")

    # The opinion is on the encounter and the referral is in the cardiology inbox.
    auth = {"Authorization": f"Bearer {world.tokens['doctor_a']}"}
    visit = requests.get(
        f"{server.base}/api/v1/encounters/{world.encounters['doctor_a']}", headers=auth, timeout=10
    ).json()
    assert "远程会诊意见" in visit["notes"] and "立即转县医院心内科" in visit["notes"]
    referral = requests.get(
        f"{server.base}/api/v1/referrals/{referral_id}",
        headers={"Authorization": f"Bearer {world.tokens['specialist']}"},
        timeout=10,
    ).json()
    assert referral["status"] == "open" and referral["urgent"] is True
    # Closed means closed: no more messages.
    late = doctor.call(
        "message", {"consultation_id": consultation["id"], "client_msg_id": "d-2", "text": "?"}
    )
    assert late["ok"] is False and late["error"]["status"] == 409


def test_two_specialists_accept_at_once_exactly_one_wins(world, start_server, peers):
    server = start_server(world)
    doctor = peers(server.base, world.tokens["doctor_a"])
    first = peers(server.base, world.tokens["specialist"])
    second = peers(server.base, world.tokens["specialist2"])
    requested = doctor.ok("request", {"encounter_id": world.encounters["doctor_a"], **REQUEST})
    ref = {"consultation_id": requested["consultation"]["id"]}

    import threading

    acks: list[dict] = []
    barrier = threading.Barrier(2)

    def accept(peer):
        barrier.wait()
        acks.append(peer.call("accept", ref))

    threads = [threading.Thread(target=accept, args=(p,)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a["ok"] for a in acks) == [False, True]
    loser = next(a for a in acks if not a["ok"])
    assert loser["error"]["status"] == 409 and loser["error"]["state"] == "accepted"
    winner_id = next(a for a in acks if a["ok"])["consultation"]["specialist_id"]
    assert winner_id in (world.ids["specialist"], world.ids["specialist2"])


# --- security --------------------------------------------------------------------------------


def test_no_token_or_a_wrong_token_is_refused(world, start_server, peers):
    server = start_server(world)
    for token in (None, "forged-token"):
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            peers(server.base, token)


def test_doctor_cannot_join_or_hear_another_doctors_consultation(world, start_server, peers):
    server = start_server(world)
    doctor = peers(server.base, world.tokens["doctor_a"])
    specialist = peers(server.base, world.tokens["specialist"])
    intruder = peers(server.base, world.tokens["doctor_b"])
    colleague = peers(server.base, world.tokens["doctor_a2"])  # same clinic, not a party
    consultation_id = open_and_accept(doctor, specialist, world.encounters["doctor_a"])

    for outsider in (intruder, colleague):
        refused = outsider.call("join", {"consultation_id": consultation_id, "after_seq": 0})
        assert refused["ok"] is False and refused["error"]["status"] == 404
        sneaky = outsider.call(
            "message", {"consultation_id": consultation_id, "client_msg_id": "x", "text": "hi"}
        )
        assert sneaky["ok"] is False
        offer = {"consultation_id": consultation_id, "kind": "offer", "data": {"sdp": "x"}}
        assert outsider.call("signal", offer)["ok"] is False
    # An admin may join and read along.
    admin = peers(server.base, world.tokens["admin"])
    assert admin.ok("join", {"consultation_id": consultation_id, "after_seq": 0})["messages"] == []

    doctor.ok("message", {"consultation_id": consultation_id, "client_msg_id": "m1", "text": "秘"})
    specialist.wait_for("message", lambda m: m["seq"] == 1)
    admin.wait_for("message", lambda m: m["seq"] == 1)
    doctor.ok("signal", {"consultation_id": consultation_id, "kind": "offer", "data": {"sdp": "y"}})
    specialist.wait_for("signal")
    # Delivery to the room is ordered per socket; the outsiders got nothing from it.
    for outsider in (intruder, colleague):
        assert outsider.received["message"] == []
        assert outsider.received["signal"] == []
        assert outsider.received["consultation"] == []


def test_a_token_revoked_elsewhere_stops_the_open_socket(world, start_server, peers):
    server = start_server(world)
    doctor = peers(server.base, world.tokens["doctor_a"])
    specialist = peers(server.base, world.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, world.encounters["doctor_a"])
    # Revoked through the database, as another server process would.
    from gpassist.auth.service import revoke_token
    from gpassist.db import Database

    database = Database(world.database_url)
    with database.transaction(actor="test") as session:
        revoke_token(session, world.tokens["doctor_a"])
    database.dispose()
    ack = doctor.call(
        "message", {"consultation_id": consultation_id, "client_msg_id": "r", "text": "还在吗"}
    )
    assert ack["ok"] is False and ack["error"]["status"] == 401
    specialist.ok(
        "message", {"consultation_id": consultation_id, "client_msg_id": "s", "text": "在"}
    )
    # The specialist's own ack came after the relay was queued; the revoked socket heard nothing.
    specialist.ok("read", {"consultation_id": consultation_id, "seq": 1})
    assert doctor.received["message"] == [] and doctor.received["read"] == []


def test_bad_payloads_get_an_error_ack_naming_the_field(world, start_server, peers):
    server = start_server(world)
    doctor = peers(server.base, world.tokens["doctor_a"])
    missing = doctor.call("request", {"reason": "x", "department": "cardiology"})
    assert missing["ok"] is False and missing["error"]["status"] == 422
    assert missing["error"]["errors"][0]["field"] == "data.encounter_id"
    unknown = doctor.call(
        "request",
        {"encounter_id": world.encounters["doctor_a"], "reason": "x", "department": "dermatology"},
    )
    assert unknown["error"]["errors"][0]["field"] == "data.department"
    other_clinic = doctor.call("request", {"encounter_id": world.encounters["doctor_b"], **REQUEST})
    assert other_clinic["error"]["status"] == 404
    assert doctor.call("accept", "not an object")["error"]["status"] == 422


def test_unaccepted_request_escalates_then_expires_and_the_doctor_sees_it(
    world, start_server, peers
):
    server = start_server(
        world,
        GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS="0.2",
        GPASSIST_CONSULT_DEPARTMENT_AFTER_SECONDS="1",
        GPASSIST_CONSULT_ADMINS_AFTER_SECONDS="2",
        GPASSIST_CONSULT_EXPIRE_AFTER_SECONDS="3",
    )
    on_call = peers(server.base, world.tokens["specialist"])
    on_call.ok("availability", {"available": True})
    off_duty = peers(server.base, world.tokens["specialist2"])
    admin = peers(server.base, world.tokens["admin"])
    doctor = peers(server.base, world.tokens["doctor_a"])
    requested = doctor.ok("request", {"encounter_id": world.encounters["doctor_a"], **REQUEST})
    consultation_id = requested["consultation"]["id"]

    def about_it(change):
        return lambda p: p["change"] == change and p["consultation"]["id"] == consultation_id

    on_call.wait_for("queue_changed", about_it("requested"))
    assert off_duty.wait_for("queue_changed", about_it("escalated"))
    assert admin.wait_for("queue_changed", about_it("escalated"))
    expired = doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "expired")
    assert expired["consultation"]["escalation"] == "admins"
    levels = [
        p["consultation"]["escalation"]
        for p in doctor.received["consultation"]
        if p["consultation"]["state"] == "requested"
    ]
    assert levels == ["available", "department", "admins"]
    late = on_call.call("accept", {"consultation_id": consultation_id})
    assert late["ok"] is False and late["error"]["state"] == "expired"


def test_a_listening_socket_whose_token_is_revoked_is_disconnected(world, start_server, peers):
    """A socket that never sends an event is still cut off: the sweep finds its dead token."""
    import threading

    from gpassist.auth.service import revoke_token
    from gpassist.db import Database

    server = start_server(world, GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS="0.2")
    doctor = peers(server.base, world.tokens["doctor_a"])
    specialist = peers(server.base, world.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, world.encounters["doctor_a"])
    dropped = threading.Event()
    doctor.client.on("disconnect", lambda *reason: dropped.set(), namespace="/consult")

    database = Database(world.database_url)
    with database.transaction(actor="test") as session:
        revoke_token(session, world.tokens["doctor_a"])
    database.dispose()
    assert dropped.wait(20), "the revoked socket stayed connected"
    late = {"consultation_id": consultation_id, "client_msg_id": "z", "text": "x"}
    specialist.ok("message", late)
    assert doctor.received["message"] == []
