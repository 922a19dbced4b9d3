"""Socket.IO namespace ``/``: every connection authenticates in the handshake, or is refused.

The client sends ``auth={"token": "<bearer token>"}``; the pages rely on their session cookie
(same origin only). ``gpassist.realtime.authenticate`` does the check; an accepted connection
joins its user's room (and its clinic's, for a village doctor), so any server process can notify
a user through the message queue without knowing which process holds their socket.
"""

from __future__ import annotations

from flask_socketio import join_room

from gpassist.realtime import authenticate, clinic_room, end_user_sockets, socketio, user_room

__all__ = ["authenticate_connection", "clinic_room", "end_user_sockets", "user_room"]


@socketio.on("connect")
def authenticate_connection(auth=None):
    user = authenticate(auth)
    if user.clinic_id is not None:
        join_room(clinic_room(user.clinic_id))
    return True
