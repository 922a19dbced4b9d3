"""Logging out closes the user's live connections in every namespace, not only the default one."""

from __future__ import annotations

from gpassist.extensions import socketio


def test_logout_closes_the_users_pharmacy_and_default_sockets(app, api, users):
    token = users["pharmacist"].token
    board = socketio.test_client(app, namespace="/pharmacy", auth={"token": token})
    default = socketio.test_client(app, auth={"token": token})
    bystander = socketio.test_client(
        app, namespace="/pharmacy", auth={"token": users["admin"].token}
    )
    assert board.is_connected("/pharmacy") and default.is_connected()

    assert api.delete("/api/v1/auth/token", as_="pharmacist").status_code == 204

    assert not board.is_connected("/pharmacy")
    assert not default.is_connected()
    assert bystander.is_connected("/pharmacy")  # only that user's sockets
