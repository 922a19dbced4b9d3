"""Socket.IO namespace ``/pharmacy``: the dispatch board and the clinics' order views, live.

A connection authenticates in the handshake (``auth={"token": …}``) like every socket. Pharmacists
and admins join the board room; a village doctor joins their clinic's room. Services queue events
on the session (``notify``); they are emitted only after that session commits, so nobody is told
about an order that was rolled back. Events: ``order.created`` and ``order.status`` (the order
summary with its new status).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, join_room
from sqlalchemy import event
from sqlalchemy.orm import Session

from gpassist.auth.credentials import handshake_token
from gpassist.auth.events import user_room
from gpassist.auth.service import user_for_token
from gpassist.auth.tables import Role
from gpassist.extensions import socketio

log = logging.getLogger("gpassist.pharmacy.events")

NAMESPACE = "/pharmacy"
BOARD_ROOM = "pharmacy:board"
_PENDING = "pharmacy_events"


def clinic_room(clinic_id: int) -> str:
    return f"pharmacy:clinic:{clinic_id}"


def notify(session: Session, name: str, payload: dict[str, Any], clinic_id: int) -> None:
    """Queue an event for the board and for the order's clinic, sent once the session commits."""
    session.info.setdefault(_PENDING, []).append((name, payload, clinic_id))


@event.listens_for(Session, "after_commit")
def _emit_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending or socketio.server is None:
        return
    for name, payload, clinic_id in pending:
        try:
            socketio.emit(
                name, payload, to=[BOARD_ROOM, clinic_room(clinic_id)], namespace=NAMESPACE
            )
        except Exception:  # a failed notification must not undo a committed order
            log.exception("could not emit %s for order %s", name, payload.get("id"))


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


@socketio.on("connect", namespace=NAMESPACE)
def connect_pharmacy(auth=None):
    token = handshake_token(auth)  # the bearer token, or the page's session (same origin)
    if token is None:
        raise ConnectionRefusedError({"type": "/problems/unauthorized", "title": "token required"})
    database = current_app.extensions["gpassist.db"]
    with database.read_sessionmaker() as session:
        user = user_for_token(session, token)
        if user is None:
            raise ConnectionRefusedError(
                {"type": "/problems/unauthorized", "title": "unknown, expired or revoked token"}
            )
        join_room(user_room(user.id), namespace=NAMESPACE)  # so logging out can close it
        if user.role in (Role.pharmacist, Role.admin):
            join_room(BOARD_ROOM, namespace=NAMESPACE)
        elif user.role == Role.village_doctor and user.clinic_id is not None:
            join_room(clinic_room(user.clinic_id), namespace=NAMESPACE)
        else:
            raise ConnectionRefusedError(
                {"type": "/problems/forbidden", "title": "pharmacy updates are not for this role"}
            )
        log.info("pharmacy socket %s connected for user %s", request.sid, user.id)
    return True
