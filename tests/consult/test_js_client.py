"""The official JavaScript client (socket.io-client from npm, under Node.js) as the village
doctor, a python-socketio client as the specialist."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.consult.conftest import REQUEST

pytestmark = pytest.mark.slow

JS = ROOT / "tests" / "js"


def node_ready() -> str | None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    if not (JS / "node_modules" / "socket.io-client").is_dir():
        pytest.skip(
            "socket.io-client is not installed: run `npm ci` in tests/js (make install-test)"
        )
    return node


def test_js_doctor_and_python_specialist_chat_and_signal(world, start_server, peers):
    node = node_ready()
    server = start_server(world)
    doctor_setup = peers(server.base, world.tokens["doctor_a"])
    specialist = peers(server.base, world.tokens["specialist"])
    requested = doctor_setup.ok(
        "request", {"encounter_id": world.encounters["doctor_a"], **REQUEST}
    )
    consultation_id = requested["consultation"]["id"]
    specialist.ok("accept", {"consultation_id": consultation_id})
    doctor_setup.disconnect()

    js = subprocess.Popen(
        [
            node,
            str(JS / "consult_peer.js"),
            server.base,
            world.tokens["doctor_a"],
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
        assert hello["sender_id"] == world.ids["doctor_a"]
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


def test_js_client_without_token_is_refused(world, start_server):
    node = node_ready()
    server = start_server(world)
    run = subprocess.run(
        [node, str(JS / "consult_peer.js"), server.base, "forged", "1"],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 1
    assert "connect_error" in run.stdout and "token" in run.stdout
