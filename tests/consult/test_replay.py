"""No lost messages: a client that was away gets exactly what it missed, in order, once —
even when the server restarted in between."""

from __future__ import annotations

import pytest

from tests.consult.conftest import open_and_accept

pytestmark = pytest.mark.slow


def send(peer, consultation_id: int, n: int) -> dict:
    return peer.ok(
        "message",
        {"consultation_id": consultation_id, "client_msg_id": f"doc-{n}", "text": f"第{n}条"},
    )


def test_fifty_messages_missed_across_a_server_restart_arrive_once_in_order(
    world, start_server, peers
):
    server = start_server(world)
    doctor = peers(server.base, world.tokens["doctor_a"])
    specialist = peers(server.base, world.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, world.encounters["doctor_a"])
    send(doctor, consultation_id, 0)
    last_seen = specialist.wait_for("message", lambda m: m["seq"] == 1)["seq"]
    specialist.disconnect()

    for n in range(1, 26):
        send(doctor, consultation_id, n)
    server.stop()  # every one of them was acknowledged, so stored; the process is gone
    server.start()
    doctor = peers(server.base, world.tokens["doctor_a"])
    doctor.ok("join", {"consultation_id": consultation_id, "after_seq": 26})
    # A resend of an acknowledged message (the client never saw its ack) is stored once.
    assert send(doctor, consultation_id, 25)["duplicate"] is True
    for n in range(26, 51):
        send(doctor, consultation_id, n)

    back = peers(server.base, world.tokens["specialist"])
    joined = back.ok("join", {"consultation_id": consultation_id, "after_seq": last_seen})
    missed = joined["messages"]
    assert [m["seq"] for m in missed] == list(range(2, 52))
    assert [m["text"] for m in missed] == [f"第{n}条" for n in range(1, 51)]
    assert back.received["message"] == []  # nothing twice: the ack carried them all
    again = back.ok("join", {"consultation_id": consultation_id, "after_seq": missed[-1]["seq"]})
    assert again["messages"] == []

    # And live delivery resumes after the replay.
    send(doctor, consultation_id, 51)
    assert back.wait_for("message")["seq"] == 52
