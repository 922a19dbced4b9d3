"""Against one real server for the module: the official JavaScript client (socket.io-client
from npm, under Node.js) as the village doctor with a python-socketio client as the specialist,
and the server's own sweep closing a listening socket whose token died."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator

import pytest

from gpassist.auth.service import revoke_token
from gpassist.db import Database
from tests.conftest import ROOT
from tests.consult.conftest import (
    REQUEST,
    LiveServer,
    World,
    new_encounter,
    new_token,
    open_and_accept,
    serve,
)

pytestmark = pytest.mark.slow

JS = ROOT / "tests" / "js"


@pytest.fixture(scope="module")
def server(shared_world, tmp_path_factory) -> Iterator[LiveServer]:
    # The sweep runs with the scheduler: every 0.2 s here. The escalation delays stay at their
    # defaults (minutes), so no request of these tests escalates meanwhile.
    instance = tmp_path_factory.mktemp("live-server")
    with serve(shared_world, instance, GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS="0.2") as (
        running,
    ):
        yield running


def node_ready() -> str | None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    if not (JS / "node_modules" / "socket.io-client").is_dir():
        pytest.skip(
            "socket.io-client is not installed: run `npm ci` in tests/js (make install-test)"
        )
    return node


def test_js_doctor_and_python_specialist_chat_and_signal(shared_world: World, server, peers):
    node = node_ready()
    doctor_setup = peers(server.base, shared_world.tokens["doctor_a"])
    specialist = peers(server.base, shared_world.tokens["specialist"])
    encounter_id = new_encounter(shared_world, "doctor_a")
    requested = doctor_setup.ok("request", {"encounter_id": encounter_id, **REQUEST})
    consultation_id = requested["consultation"]["id"]
    specialist.ok("accept", {"consultation_id": consultation_id})
    doctor_setup.disconnect()

    js = subprocess.Popen(
        [
            node,
            str(JS / "consult_peer.js"),
            server.base,
            shared_world.tokens["doctor_a"],
            str(consultation_id),
        ],
        cwd=JS,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        hello = specialist.wait_for("message", lambda m: m["client_msg_id"] == "js-1")
        assert hello["text"] == "你好，我是村医（JS 客户端）"
        assert hello["sender_id"] == shared_world.ids["doctor_a"]
        specialist.ok(
            "message",
            {
                "consultation_id": consultation_id,
                "client_msg_id": "py-1",
                "text": "收到，请描述胸痛",
            },
        )
        offer = specialist.wait_for("signal", lambda s: s["kind"] == "offer")
        assert offer["data"]["sdp"] == "v=0\r\ns=js\r\n"
        specialist.ok(
            "signal",
            {
                "consultation_id": consultation_id,
                "kind": "answer",
                "data": {"type": "answer", "sdp": "v=0\r\ns=py\r\n"},
            },
        )
        out, err = js.communicate(timeout=40)
    finally:
        if js.poll() is None:
            js.kill()
            js.wait()
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert js.returncode == 0, (out, err)
    seen = {line["what"]: line["payload"] for line in lines}
    assert seen["ack:message"]["message"]["seq"] == 1
    assert seen["message"]["text"] == "收到，请描述胸痛"
    assert seen["signal"]["data"] == {"type": "answer", "sdp": "v=0\r\ns=py\r\n"}


def test_js_client_without_token_is_refused(server):
    node = node_ready()
    run = subprocess.run(
        [node, str(JS / "consult_peer.js"), server.base, "forged", "1"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "connect_error" in run.stdout and "token" in run.stdout


def test_a_listening_socket_whose_token_is_revoked_is_disconnected(
    shared_world: World, server, peers
):
    """A socket that never sends an event is still cut off: the server's sweep finds its dead
    token (revoked here straight in the database, as no logout would)."""
    token = new_token(shared_world, "doctor_a")
    doctor = peers(server.base, token)
    specialist = peers(server.base, shared_world.tokens["specialist"])
    consultation_id = open_and_accept(doctor, specialist, new_encounter(shared_world, "doctor_a"))
    dropped = threading.Event()
    doctor.client.on("disconnect", lambda *reason: dropped.set(), namespace="/consult")

    database = Database(shared_world.database_url)
    with database.transaction(actor="test") as session:
        revoke_token(session, token)
    database.dispose()
    assert dropped.wait(20), "the revoked socket stayed connected"
    late = {"consultation_id": consultation_id, "client_msg_id": "z", "text": "x"}
    specialist.ok("message", late)
    assert doctor.received["message"] == []
