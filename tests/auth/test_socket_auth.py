"""Socket.IO connections authenticate in the handshake; notifications reach a user's room,
across server processes through the Redis message queue."""

from __future__ import annotations

import threading
import time

import pytest
import socketio as socketio_client
from flask_socketio import SocketIO

from gpassist.auth.events import user_room
from gpassist.extensions import socketio
from tests.servers import BIN, free_port, running_server, service_env


def test_connection_without_token_is_refused(app, users):
    client = socketio.test_client(app)
    assert not client.is_connected()


def test_connection_with_bad_token_is_refused(app, users):
    client = socketio.test_client(app, auth={"token": "forged"})
    assert not client.is_connected()


def test_connection_with_revoked_token_is_refused(app, api, users):
    assert api.delete("/api/v1/auth/token", as_="doctor_a").status_code == 204
    client = socketio.test_client(app, auth={"token": users["doctor_a"].token})
    assert not client.is_connected()


def test_logout_closes_the_open_socket(app, api, users):
    client = socketio.test_client(app, auth={"token": users["doctor_a"].token})
    assert client.is_connected()
    assert api.delete("/api/v1/auth/token", as_="doctor_a").status_code == 204
    assert not client.is_connected()


def test_valid_token_connects_and_joins_own_room(app, users):
    client = socketio.test_client(app, auth={"token": users["doctor_a"].token})
    other = socketio.test_client(app, auth={"token": users["doctor_b"].token})
    assert client.is_connected() and other.is_connected()
    with app.app_context():
        socketio.emit("notice", {"text": "只给甲村"}, to=user_room(users["doctor_a"].id))
    assert [m["args"][0]["text"] for m in client.get_received()] == ["只给甲村"]
    assert other.get_received() == []


def prepare_database(database_url: str, registry) -> tuple[int, str]:
    """Tables, the mini county and a doctor with a token; returns (doctor id, token)."""
    import datetime as dt

    from gpassist.auth.service import issue_token
    from gpassist.db import Database
    from tests.conftest import build_world, make_users

    database = Database(database_url)
    try:
        build_world(database, registry)
        with database.transaction() as session:
            doctor = make_users(session)["doctor_a"]
            return doctor.id, issue_token(session, doctor, ttl=dt.timedelta(hours=1)).token
    finally:
        database.dispose()


@pytest.mark.slow
@pytest.mark.redis
def test_notice_from_another_process_arrives_through_redis(
    database_url, tmp_path, redis_url, mini_registry
):
    doctor_id, token = prepare_database(database_url, mini_registry)
    port = free_port()
    env = service_env(database_url, tmp_path, GPASSIST_SOCKETIO_QUEUE=redis_url)
    server_cmd = [str(BIN / "gpassist"), "serve", "--port", str(port)]
    with running_server(server_cmd, env, port) as base:
        arrived = threading.Event()
        texts: list[str] = []
        client = socketio_client.Client(reconnection=False)

        @client.on("notice")
        def on_notice(data):
            texts.append(data["text"])
            arrived.set()

        refused = socketio_client.Client(reconnection=False)
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            refused.connect(base, auth={"token": "forged"}, wait_timeout=10)

        client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)
        try:
            # This process holds no socket of the client's: it only publishes to the queue,
            # as a second server process would.
            emitter = SocketIO(message_queue=redis_url)
            deadline = time.monotonic() + 15
            while not arrived.is_set() and time.monotonic() < deadline:
                emitter.emit("notice", {"text": "来自另一进程"}, to=user_room(doctor_id))
                arrived.wait(0.5)  # the server subscribes asynchronously; resend until it has
            assert texts and texts[0] == "来自另一进程"
        finally:
            client.disconnect()
