"""Ending a user's tokens (logout, a password reset) closes their live connections in every
namespace, not only the default one. Across server processes:
tests/consult/test_two_processes.py."""

from __future__ import annotations

from gpassist.extensions import socketio


def test_logout_closes_the_users_pharmacy_consult_and_default_sockets(app, api, users):
    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    token = users["pharmacist"].token
    board = socketio.test_client(app, namespace="/pharmacy", auth={"token": token})
    consult = socketio.test_client(app, namespace="/consult", auth={"token": token})
    default = socketio.test_client(app, auth={"token": token})
    bystander = socketio.test_client(
        app, namespace="/pharmacy", auth={"token": users["admin"].token}
    )
    assert board.is_connected("/pharmacy") and default.is_connected()
    assert consult.is_connected("/consult")

    assert api.delete("/api/v1/auth/token", as_="pharmacist").status_code == 204

    assert not board.is_connected("/pharmacy")
    assert not consult.is_connected("/consult")
    assert not default.is_connected()
    assert bystander.is_connected("/pharmacy")  # only that user's sockets


def test_a_password_reset_closes_the_users_sockets(app, api, users):
    doctor = socketio.test_client(app, auth={"token": users["doctor_a"].token})
    clinic = socketio.test_client(
        app, namespace="/pharmacy", auth={"token": users["doctor_a"].token}
    )
    assert doctor.is_connected() and clinic.is_connected("/pharmacy")
    reset = api.post(
        f"/api/v1/users/{users['doctor_a'].id}/password",
        as_="admin",
        json={"new_password": "another long passphrase 2026"},
    )
    assert reset.status_code == 200, reset.get_json()
    assert not doctor.is_connected()
    assert not clinic.is_connected("/pharmacy")
