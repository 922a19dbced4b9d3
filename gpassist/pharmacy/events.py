"""Socket.IO namespace ``/pharmacy``: the dispatch board and the clinics' order views, live.

A connection authenticates in the handshake like every socket (``gpassist.realtime``).
Pharmacists and admins join the board room; a village doctor joins their clinic's room; other
roles are refused. Services queue events with ``notify``; they are emitted only after that
session commits, so nobody is told about an order that was rolled back. Events:
``order.created`` and ``order.status`` (the order summary with its new status).
"""

from __future__ import annotations

from typing import Any

from flask_socketio import join_room
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role
from gpassist.realtime import authenticate, clinic_room, emit_after_commit, refused, socketio

NAMESPACE = "/pharmacy"
BOARD_ROOM = "pharmacy:board"


def notify(session: Session, name: str, payload: dict[str, Any], clinic_id: int) -> None:
    """Queue an event for the board and for the order's clinic, sent once the session commits."""
    emit_after_commit(
        session, name, payload, to=(BOARD_ROOM, clinic_room(clinic_id)), namespace=NAMESPACE
    )


@socketio.on("connect", namespace=NAMESPACE)
def connect_pharmacy(auth=None):
    user = authenticate(auth)
    if user.role in (Role.pharmacist, Role.admin):
        join_room(BOARD_ROOM)
    elif user.role == Role.village_doctor and user.clinic_id is not None:
        join_room(clinic_room(user.clinic_id))
    else:
        raise refused(
            "pharmacy updates are not for this role",
            "您的角色不接收药房订单的实时更新。",
            status=403,
        )
    return True
