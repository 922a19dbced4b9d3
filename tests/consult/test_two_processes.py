"""Two server processes sharing rooms through Redis (a channel of this module's own): a doctor
on one, a specialist on the other; a logout in one process closes the user's sockets in the
other at once; a notice published by a third process reaches a user's room on ``/``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests
import socketio as socketio_client

from gpassist.realtime import queue_emitter, user_room
from tests.consult.conftest import (
    NAMESPACE,
    REQUEST,
    LiveServer,
    World,
    close_client,
    new_encounter,
    new_token,
    queue_channel,
    serve,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis]


@pytest.fixture(scope="module")
def channel() -> str:
    return queue_channel()


@pytest.fixture(scope="module")
def pair(
    shared_world: World, redis_url, channel, tmp_path_factory
) -> Iterator[tuple[LiveServer, LiveServer]]:
    """Two servers on one database and one queue. No scheduler, hence no revocation sweep:
    whatever closes a socket here came through the queue."""
    queue = {"GPASSIST_SOCKETIO_QUEUE": redis_url, "GPASSIST_SOCKETIO_CHANNEL": channel}
    instances = (tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second"))
    with serve(shared_world, *instances, **queue) as (first, second):
        yield first, second


def wait_until_subscribed(redis_url: str, channel: str, peer, user_id: int) -> None:
    """A server subscribes to the queue asynchronously after it starts: probe until it hears."""
    emit = queue_emitter(redis_url, channel)
    deadline = time.monotonic() + 20
    while not peer.received["probe"]:
        assert time.monotonic() < deadline, "the server never heard the Redis queue"
        emit("probe", {}, to=user_room(user_id), namespace=NAMESPACE)
        with peer.changed:
            peer.changed.wait(0.5)


def test_doctor_and_specialist_on_different_processes_talk_normally(
    shared_world: World, pair, peers, redis_url, channel
):
    first, second = pair
    assert first.port != second.port
    doctor = peers(first.base, shared_world.tokens["doctor_a"])
    specialist = peers(second.base, shared_world.tokens["specialist"])
    wait_until_subscribed(redis_url, channel, doctor, shared_world.ids["doctor_a"])
    wait_until_subscribed(redis_url, channel, specialist, shared_world.ids["specialist"])
    specialist.ok("availability", {"available": True})

    encounter_id = new_encounter(shared_world, "doctor_a")
    requested = doctor.ok("request", {"encounter_id": encounter_id, **REQUEST})
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


def test_a_logout_in_one_process_closes_the_users_sockets_in_the_other(
    shared_world: World, pair, peers, redis_url, channel
):
    first, second = pair
    token = new_token(shared_world, "doctor_a2")
    namespaces = ["/", NAMESPACE, "/pharmacy"]
    client = socketio_client.Client(reconnection=False)
    closed = {namespace: threading.Event() for namespace in namespaces}
    for namespace in namespaces:
        client.on("disconnect", lambda *_r, ns=namespace: closed[ns].set(), namespace=namespace)
    client.connect(
        first.base,
        namespaces=namespaces,
        auth={"token": token},
        transports=["websocket"],
        wait_timeout=15,
    )
    bystander = peers(first.base, shared_world.tokens["doctor_b"])
    # Another consult socket of the user's on the first process, to know it hears the queue.
    probe = peers(first.base, token)
    probe_closed = threading.Event()
    probe.client.on("disconnect", lambda *_r: probe_closed.set(), namespace=NAMESPACE)
    wait_until_subscribed(redis_url, channel, probe, shared_world.ids["doctor_a2"])

    logout = requests.delete(
        f"{second.base}/api/v1/auth/token",
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )
    assert logout.status_code == 204
    # No sweep runs in these servers: only the queue can have closed them.
    for namespace, event in closed.items():
        assert event.wait(20), f"the socket on {namespace} stayed connected"
    assert probe_closed.wait(20), "the second consult socket stayed connected"
    assert bystander.client.connected  # only that user's sockets
    assert bystander.call("queue")["ok"] is True


def test_a_notice_from_another_process_reaches_the_users_room(
    shared_world: World, pair, redis_url, channel
):
    first, _second = pair
    for namespace in ("/", "/pharmacy"):
        refused = socketio_client.Client(reconnection=False)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            refused.connect(
                first.base, namespaces=[namespace], auth={"token": "forged"}, wait_timeout=10
            )

    arrived = threading.Event()
    texts: list[str] = []
    client = socketio_client.Client(reconnection=False)

    @client.on("notice")
    def on_notice(data):
        texts.append(data["text"])
        arrived.set()

    client.connect(
        first.base,
        auth={"token": shared_world.tokens["doctor_b"]},
        transports=["websocket"],
        wait_timeout=10,
    )
    try:
        # This process holds no socket of the client's: it only publishes to the queue, as a
        # second server process (or `gpassist consult scheduler`) would.
        emit = queue_emitter(redis_url, channel)
        deadline = time.monotonic() + 15
        while not arrived.is_set() and time.monotonic() < deadline:
            emit("notice", {"text": "来自另一进程"}, to=user_room(shared_world.ids["doctor_b"]))
            arrived.wait(0.5)  # the server subscribes asynchronously; resend until it has
        assert texts and texts[0] == "来自另一进程"
    finally:
        close_client(client)


def test_the_scheduler_run_apart_reaches_the_servers_sockets_through_the_queue(
    shared_world: World, pair, peers, redis_url, channel, monkeypatch
):
    from click.testing import CliRunner

    from gpassist.consult.cli import consult

    first, second = pair
    doctor = peers(first.base, shared_world.tokens["doctor_a"])
    off_duty = peers(second.base, shared_world.tokens["specialist2"])
    wait_until_subscribed(redis_url, channel, doctor, shared_world.ids["doctor_a"])
    wait_until_subscribed(redis_url, channel, off_duty, shared_world.ids["specialist2"])
    encounter_id = new_encounter(shared_world, "doctor_a")
    requested = doctor.ok("request", {"encounter_id": encounter_id, **REQUEST})
    consultation_id = requested["consultation"]["id"]

    # `gpassist consult scheduler --once` as an operator runs it beside the servers (which run
    # no scheduler here), escalating at once.
    for name, value in {
        "DATABASE_URL": shared_world.database_url,
        "SOCKETIO_QUEUE": redis_url,
        "SOCKETIO_CHANNEL": channel,
        "CONSULT_DEPARTMENT_AFTER_SECONDS": "0.001",
        "LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(f"GPASSIST_{name}", value)
    ran = CliRunner().invoke(consult, ["scheduler", "--once"])
    assert ran.exit_code == 0, ran.output
    assert "ran the jobs" in ran.output

    def escalated(p):
        return p["change"] == "escalated" and p["consultation"]["id"] == consultation_id

    assert off_duty.wait_for("queue_changed", escalated)
    heard = doctor.wait_for(
        "consultation", lambda p: p["consultation"]["escalation"] != "available"
    )
    assert heard["consultation"]["escalation"] == "department"
