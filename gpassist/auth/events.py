"""Socket.IO: every connection authenticates in the handshake, or is refused.

The client sends ``auth={"token": "<bearer token>"}``; the pages rely on their session cookie
(``gpassist.web.session_auth.handshake_token``, same origin only). An accepted connection joins
the room ``user:<id>`` (and ``clinic:<id>`` for a village doctor), so any server process can
notify a user through the message queue without knowing which process holds their socket.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from gpassist.auth.service import user_for_token
from gpassist.extensions import socketio
from gpassist.web.session_auth import handshake_token

log = logging.getLogger("gpassist.auth.events")


def user_room(user_id: int) -> str:
    return f"user:{user_id}"


def clinic_room(clinic_id: int) -> str:
    return f"clinic:{clinic_id}"


@socketio.on("connect")
def authenticate_connection(auth=None):
    token = handshake_token(auth)
    if token is None:
        raise ConnectionRefusedError({"type": "/problems/unauthorized", "title": "token required"})
    database = current_app.extensions["gpassist.db"]
    with database.sessionmaker() as session:
        user = user_for_token(session, token)
        if user is None:
            raise ConnectionRefusedError(
                {"type": "/problems/unauthorized", "title": "unknown, expired or revoked token"}
            )
        join_room(user_room(user.id))
        if user.clinic_id is not None:
            join_room(clinic_room(user.clinic_id))
        log.info("socket %s connected for user %s", request.sid, user.id)
    return True


def end_user_sockets(user_id: int) -> int:
    """Disconnect this process's sockets of a user whose tokens were just revoked.

    Returns how many were closed. Sockets held by other server processes are not reached here:
    handlers must re-check the token per event (see docs/roles.md).
    """
    server = socketio.server
    if server is None:
        return 0
    sids = [sid for sid, _ in server.manager.get_participants("/", user_room(user_id))]
    for sid in sids:
        server.disconnect(sid, namespace="/", ignore_queue=True)
    return len(sids)
