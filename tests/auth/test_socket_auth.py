"""Socket.IO connections authenticate in the handshake; notifications reach a user's room.

Across server processes through the Redis message queue: tests/consult/test_two_processes.py."""

from __future__ import annotations

from gpassist.auth.tables import User
from gpassist.extensions import socketio
from gpassist.realtime import clinic_room, user_room


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


def test_a_village_doctor_also_joins_the_clinics_room(app, users, database):
    doctor = socketio.test_client(app, auth={"token": users["doctor_a"].token})
    colleague = socketio.test_client(app, auth={"token": users["doctor_a2"].token})
    elsewhere = socketio.test_client(app, auth={"token": users["doctor_b"].token})
    with database.sessionmaker() as session:
        clinic_id = session.get(User, users["doctor_a"].id).clinic_id
    with app.app_context():
        socketio.emit("notice", {"text": "甲村诊所"}, to=clinic_room(clinic_id))
    assert [m["args"][0]["text"] for m in doctor.get_received()] == ["甲村诊所"]
    assert [m["args"][0]["text"] for m in colleague.get_received()] == ["甲村诊所"]
    assert elsewhere.get_received() == []
