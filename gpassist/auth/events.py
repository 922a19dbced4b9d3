"""Socket.IO: every connection authenticates in the handshake, or is refused.

The client sends ``auth={"token": "<bearer token>"}``; the pages rely on their session cookie
(``gpassist.auth.credentials.handshake_token``, same origin only). An accepted connection joins
the room ``user:<id>`` (and ``clinic:<id>`` for a village doctor), so any server process can
notify a user through the message queue without knowing which process holds their socket.
"""

from __future__ import annotations

import logging

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room

from gpassist.auth.credentials import handshake_token
from gpassist.auth.service import user_for_token
from gpassist.extensions import socketio

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
    """Disconnect this process's sockets of a user whose tokens were just revoked, in every
    namespace (``/``, ``/consult``, ``/pharmacy``).

    Returns how many were closed. Sockets held by other server processes are not reached here:
    their handlers re-check the token per event, and /consult sweeps revoked sockets.
    """
    server = socketio.server
    if server is None:
        return 0
    rooms = (user_room(user_id), f"consult-user:{user_id}")
    sids: set[tuple[str, str]] = set()
    for namespace in list(server.manager.rooms):
        for room in rooms:
            if room in server.manager.rooms.get(namespace, {}):
                sids.update(
                    (namespace, sid) for sid, _ in server.manager.get_participants(namespace, room)
                )
    for namespace, sid in sids:
        server.disconnect(sid, namespace=namespace, ignore_queue=True)
    return len(sids)
