"""Two server processes sharing rooms through Redis: a doctor on one, a specialist on the other."""

from __future__ import annotations

import time

import pytest
from flask_socketio import SocketIO

from gpassist.consult.service import user_room
from tests.consult.conftest import NAMESPACE, REQUEST

pytestmark = [pytest.mark.slow, pytest.mark.redis]


def wait_until_subscribed(redis_url: str, peer, user_id: int) -> None:
    """A server subscribes to the queue asynchronously after it starts: probe until it hears."""
    emitter = SocketIO(message_queue=redis_url)
    deadline = time.monotonic() + 20
    while not peer.received["probe"]:
        assert time.monotonic() < deadline, "the server never heard the Redis queue"
        emitter.emit("probe", {}, to=user_room(user_id), namespace=NAMESPACE)
        with peer.changed:
            peer.changed.wait(0.5)


def test_doctor_and_specialist_on_different_processes_talk_normally(
    world, start_server, peers, redis_url
):
    queue = {"GPASSIST_SOCKETIO_QUEUE": redis_url}
    first, second = start_server(world, **queue), start_server(world, **queue)
    assert first.port != second.port
    doctor = peers(first.base, world.tokens["doctor_a"])
    specialist = peers(second.base, world.tokens["specialist"])
    wait_until_subscribed(redis_url, doctor, world.ids["doctor_a"])
    wait_until_subscribed(redis_url, specialist, world.ids["specialist"])
    specialist.ok("availability", {"available": True})

    requested = doctor.ok("request", {"encounter_id": world.encounters["doctor_a"], **REQUEST})
    consultation_id = requested["consultation"]["id"]
    specialist.wait_for("queue_changed", lambda p: p["consultation"]["id"] == consultation_id)
    specialist.ok("accept", {"consultation_id": consultation_id})
    doctor.wait_for("consultation", lambda p: p["consultation"]["state"] == "accepted")

    doctor.ok(
        "message", {"consultation_id": consultation_id, "client_msg_id": "a", "text": "甲进程"}
    )
    assert specialist.wait_for("message", lambda m: m["seq"] == 1)["text"] == "甲进程"
    specialist.ok(
        "message", {"consultation_id": consultation_id, "client_msg_id": "b", "text": "乙进程"}
    )
    assert doctor.wait_for("message", lambda m: m["seq"] == 2)["text"] == "乙进程"
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    doctor.ok("signal", {"consultation_id": consultation_id, "kind": "offer", "data": offer})
    assert specialist.wait_for("signal")["data"] == offer
    # Neither side got its own message back.
    assert [m["seq"] for m in doctor.received["message"]] == [2]
    assert [m["seq"] for m in specialist.received["message"]] == [1]
