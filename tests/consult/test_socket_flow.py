"""The whole consultation over /consult, in-process: Flask-SocketIO's test client as each party.

What only a real server shows (the JS client, a restart, two processes over Redis, the
revocation sweep's own thread) is in test_live_server.py, test_replay.py and
test_two_processes.py.
"""

from __future__ import annotations

import datetime as dt
import threading

from gpassist.auth.service import revoke_token
from gpassist.consult.runtime import escalation_job
from gpassist.consult.states import Timeouts
from gpassist.db import utcnow
from tests.consult.conftest import REQUEST, open_and_accept


def test_request_accept_chat_call_and_close_with_opinion(cast, sockets, api):
    specialist = sockets(cast.tokens["specialist"])
    on_call = specialist.ok("availability", {"available": True})
    assert on_call["available"] is True and on_call["items"] == []
    doctor = sockets(cast.tokens["doctor_a"])

    requested = doctor.ok("request", {"encounter_id": cast.encounters["doctor_a"], **REQUEST})
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
    assert accepted["consultation"]["specialist_id"] == cast.ids["specialist"]
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "accepted")
    assert specialist.ok("queue")["items"] == []

    sent = doctor.ok(
        "message",
        {"consultation_id": consultation["id"], "client_msg_id": "d-1", "text": "心电图见附件"},
    )
    assert sent["message"]["seq"] == 1 and sent["duplicate"] is False
    relayed = specialist.wait_for("message", lambda m: m["seq"] == 1)
    assert relayed["text"] == "心电图见附件" and relayed["sender_id"] == cast.ids["doctor_a"]
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "active")

    specialist.ok("typing", {"consultation_id": consultation["id"], "typing": True})
    assert doctor.wait_for("typing")["user_id"] == cast.ids["specialist"]
    specialist.ok("read", {"consultation_id": consultation["id"], "seq": 1})
    assert doctor.wait_for("read")["seq"] == 1

    offer = {"type": "offer", "sdp": "v=0\r\no=- 46117 2 IN IP4 127.0.0.1\r\n"}
    doctor.ok("signal", {"consultation_id": consultation["id"], "kind": "offer", "data": offer})
    got = specialist.wait_for("signal", lambda s: s["kind"] == "offer")
    assert got["data"] == offer and got["from_user_id"] == cast.ids["doctor_a"]
    candidate = {"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 54400 typ host"}
    specialist.ok(
        "signal", {"consultation_id": consultation["id"], "kind": "ice", "data": candidate}
    )
    assert doctor.wait_for("signal", lambda s: s["kind"] == "ice")["data"] == candidate
    # Nobody hears their own typing, receipts or signals back.
    assert all(s["from_user_id"] != cast.ids["specialist"] for s in specialist.received["signal"])
    assert specialist.received["typing"] == [] and specialist.received["read"] == []
    assert [m["seq"] for m in doctor.received["message"]] == []

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
    visit = api.get(f"/api/v1/encounters/{cast.encounters['doctor_a']}", as_="doctor_a")
    assert "远程会诊意见" in visit.get_json()["notes"]
    assert "立即转县医院心内科" in visit.get_json()["notes"]
    referral = api.get(f"/api/v1/referrals/{referral_id}", as_="specialist").get_json()
    assert referral["status"] == "open" and referral["urgent"] is True
    # Closed means closed: no more messages.
    late = doctor.call(
        "message", {"consultation_id": consultation["id"], "client_msg_id": "d-2", "text": "?"}
    )
    assert late["ok"] is False and late["error"]["status"] == 409


def test_two_specialists_accept_at_once_exactly_one_wins(cast, sockets):
    doctor = sockets(cast.tokens["doctor_a"])
    first = sockets(cast.tokens["specialist"])
    second = sockets(cast.tokens["specialist2"])
    requested = doctor.ok("request", {"encounter_id": cast.encounters["doctor_a"], **REQUEST})
    ref = {"consultation_id": requested["consultation"]["id"]}

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
    assert winner_id in (cast.ids["specialist"], cast.ids["specialist2"])


# --- security --------------------------------------------------------------------------------


def test_no_token_or_a_wrong_token_is_refused(cast, sockets):
    for token in (None, "forged-token"):
        assert not sockets(token).connected


def test_doctor_cannot_join_or_hear_another_doctors_consultation(cast, sockets):
    doctor = sockets(cast.tokens["doctor_a"])
    specialist = sockets(cast.tokens["specialist"])
    intruder = sockets(cast.tokens["doctor_b"])
    colleague = sockets(cast.tokens["doctor_a2"])  # same clinic, not a party
    consultation_id = open_and_accept(doctor, specialist, cast.encounters["doctor_a"])

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
    admin = sockets(cast.tokens["admin"])
    assert admin.ok("join", {"consultation_id": consultation_id, "after_seq": 0})["messages"] == []

    doctor.ok("message", {"consultation_id": consultation_id, "client_msg_id": "m1", "text": "秘"})
    specialist.wait_for("message", lambda m: m["seq"] == 1)
    admin.wait_for("message", lambda m: m["seq"] == 1)
    doctor.ok("signal", {"consultation_id": consultation_id, "kind": "offer", "data": {"sdp": "y"}})
    specialist.wait_for("signal")
    for outsider in (intruder, colleague):
        assert outsider.received["message"] == []
        assert outsider.received["signal"] == []
        assert outsider.received["consultation"] == []


def test_a_token_revoked_elsewhere_stops_the_open_socket(cast, sockets, database):
    doctor = sockets(cast.tokens["doctor_a"])
    specialist = sockets(cast.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, cast.encounters["doctor_a"])
    # Revoked through the database, as another server process would (no logout call here).
    with database.transaction(actor="test") as session:
        revoke_token(session, cast.tokens["doctor_a"])
    ack = doctor.call(
        "message", {"consultation_id": consultation_id, "client_msg_id": "r", "text": "还在吗"}
    )
    assert ack["ok"] is False and ack["error"]["status"] == 401
    specialist.ok(
        "message", {"consultation_id": consultation_id, "client_msg_id": "s", "text": "在"}
    )
    specialist.ok("read", {"consultation_id": consultation_id, "seq": 1})
    assert doctor.received["message"] == [] and doctor.received["read"] == []


def test_logout_closes_the_consult_socket_at_once(cast, sockets, api):
    doctor = sockets(cast.tokens["doctor_a"])
    specialist = sockets(cast.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, cast.encounters["doctor_a"])
    assert api.delete("/api/v1/auth/token", as_="doctor_a").status_code == 204
    assert not doctor.connected
    assert specialist.connected  # only that user's sockets
    specialist.ok(
        "message", {"consultation_id": consultation_id, "client_msg_id": "s", "text": "在"}
    )
    assert doctor.received["message"] == []


def test_bad_payloads_get_an_error_ack_naming_the_field(cast, sockets):
    doctor = sockets(cast.tokens["doctor_a"])
    missing = doctor.call("request", {"reason": "x", "department": "cardiology"})
    assert missing["ok"] is False and missing["error"]["status"] == 422
    assert missing["error"]["errors"][0]["field"] == "data.encounter_id"
    unknown = doctor.call(
        "request",
        {"encounter_id": cast.encounters["doctor_a"], "reason": "x", "department": "dermatology"},
    )
    assert unknown["error"]["errors"][0]["field"] == "data.department"
    other_clinic = doctor.call("request", {"encounter_id": cast.encounters["doctor_b"], **REQUEST})
    assert other_clinic["error"]["status"] == 404
    assert doctor.call("accept", "not an object")["error"]["status"] == 422


def test_unaccepted_request_escalates_then_expires_and_the_doctor_sees_it(cast, sockets, database):
    on_call = sockets(cast.tokens["specialist"])
    on_call.ok("availability", {"available": True})
    off_duty = sockets(cast.tokens["specialist2"])
    admin = sockets(cast.tokens["admin"])
    doctor = sockets(cast.tokens["doctor_a"])
    requested = doctor.ok("request", {"encounter_id": cast.encounters["doctor_a"], **REQUEST})
    consultation_id = requested["consultation"]["id"]

    def about_it(change):
        return lambda p: p["change"] == change and p["consultation"]["id"] == consultation_id

    on_call.wait_for("queue_changed", about_it("requested"))
    # The scheduler's job, ticked at chosen times instead of waited for.
    tick = escalation_job(Timeouts(department_after=1, admins_after=2, expire_after=3))
    start = utcnow()
    tick(database, start + dt.timedelta(seconds=1.5))
    assert off_duty.wait_for("queue_changed", about_it("escalated"))
    assert admin.received["queue_changed"] == []
    tick(database, start + dt.timedelta(seconds=2.5))
    assert admin.wait_for("queue_changed", about_it("escalated"))
    tick(database, start + dt.timedelta(seconds=3.5))
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


def test_nothing_is_pushed_for_a_change_that_was_rolled_back(cast, sockets, database):
    # Notices wait for the commit: a request whose transaction fails tells nobody.
    from gpassist.auth.tables import User
    from gpassist.consult import service
    from gpassist.consult.runtime import announce
    from gpassist.consult.schemas import ConsultationIn

    specialist = sockets(cast.tokens["specialist"])
    specialist.ok("availability", {"available": True})
    try:
        with database.transaction(actor="test") as session:
            doctor = session.get(User, cast.ids["doctor_a"])
            data = ConsultationIn(reason="胸痛", urgency="urgent", department="cardiology")
            outcome = service.open_consultation(
                session, doctor, cast.encounters["doctor_a"], data, now=utcnow()
            )
            announce(session, outcome.notices)
            raise RuntimeError("the transaction fails after the notices were queued")
    except RuntimeError:
        pass
    assert specialist.received["queue_changed"] == []


def test_an_accept_between_the_check_and_the_join_is_in_the_join_ack(
    cast, sockets, database, monkeypatch
):
    """The doctor's room joined while the specialist accepted: the accept landed after the join
    had checked the doctor's right to the room but before the socket was in it. The ack must
    carry the accepted state (the event was sent before the socket could hear it)."""
    import gpassist.consult.events as events
    from gpassist.auth.tables import User
    from gpassist.consult import service
    from gpassist.db import utcnow

    doctor = sockets(cast.tokens["doctor_a"])
    requested = doctor.ok("request", {"encounter_id": cast.encounters["doctor_a"], **REQUEST})
    consultation_id = requested["consultation"]["id"]
    real_join_room = events.join_room

    def accept_meanwhile(room):
        with database.transaction(actor="test") as session:
            specialist = session.get(User, cast.ids["specialist"])
            service.accept(session, specialist, consultation_id, now=utcnow())
        real_join_room(room)

    monkeypatch.setattr(events, "join_room", accept_meanwhile)
    room = sockets(cast.tokens["doctor_a"])
    joined = room.ok("join", {"consultation_id": consultation_id, "after_seq": 0})
    assert joined["consultation"]["state"] == "accepted"
