"""Socket.IO namespace ``/consult``: every event in docs/consult-protocol.md.

A connection authenticates in the handshake (``gpassist.realtime.authenticate``: a bearer token,
or the logged-in web session) and is refused otherwise. The token is checked again on every
event, so a token revoked in another process stops working at once. Every event is acknowledged
with ``{"ok": true, …}`` or ``{"ok": false, "error": <problem>}``. Each event runs in one
transaction; what it stored is committed before anything is relayed (``announce``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from flask_socketio import join_room, leave_room, rooms
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.consult import service
from gpassist.consult.present import consultation_out, message_out
from gpassist.consult.runtime import LOCAL_SOCKETS, NAMESPACE, announce, ensure_scheduler
from gpassist.consult.schemas import (
    AvailabilityIn,
    CancelEvent,
    CloseEvent,
    ConsultationRef,
    JoinEvent,
    MessageEvent,
    ReadEvent,
    RequestEvent,
    SignalEvent,
    TypingEvent,
)
from gpassist.consult.service import Notice, consultation_room
from gpassist.db import utcnow
from gpassist.errors import Conflict, Problem, Unauthorized, validation_problem
from gpassist.realtime import authenticate, connected_user, socketio
from gpassist.schemas import ApiModel, validate_json_data

log = logging.getLogger("gpassist.consult.events")


@socketio.on("connect", namespace=NAMESPACE)
def connect(auth=None):
    user = authenticate(auth)
    LOCAL_SOCKETS.add(request.sid, user.token)
    ensure_scheduler(current_app._get_current_object())  # type: ignore[attr-defined]
    return True


@socketio.on("disconnect", namespace=NAMESPACE)
def disconnect(reason=None):
    LOCAL_SOCKETS.remove(request.sid)


# --- the event wrapper -----------------------------------------------------------------------


class NoData(ApiModel):
    pass


@dataclass
class Reply:
    """A handler's answer: the ack's fields, notices for the parties, a relay to the room."""

    ack: dict[str, Any] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    relay: list[Notice] = field(default_factory=list)  # sent to everyone but this socket


Handler = Callable[[Session, User, Any], Reply]


def error_ack(problem: Problem) -> dict[str, Any]:
    return {"ok": False, "error": problem.to_dict()}


def consult_event(
    name: str, model: type[BaseModel], *, writes: bool = True
) -> Callable[[Handler], Handler]:
    """Register ``handler(session, user, data)`` for event ``name`` on /consult.

    ``writes=False`` runs it in a read-only session, which on SQLite takes no write lock: typing
    indicators and joins must not queue behind messages being stored.
    """

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def on_event(data=None):
            try:
                return _handle(handler, model, data, writes)
            except Problem as problem:
                return error_ack(problem)
            except IntegrityError:
                log.warning("consult %s: integrity conflict (a concurrent change)", name)
                return error_ack(
                    Conflict(
                        "A change made at the same moment conflicts; retry.",
                        detail_zh="对方同时做了修改，这次操作没有保存，请重试。",
                    )
                )
            except Exception:
                log.exception("consult %s: unexpected error on socket %s", name, request.sid)
                problem = Problem(
                    "An internal error occurred.",
                    detail_zh="系统内部错误，这次操作没有完成，请稍后重试；仍不行请联系管理员。",
                )
                problem.status, problem.slug, problem.title = 500, "internal", "Internal error"
                problem.title_zh = "系统内部错误"
                return error_ack(problem)

        socketio.on_event(name, on_event, namespace=NAMESPACE)
        return handler

    return decorate


def _handle(handler: Handler, model: type[BaseModel], data: Any, writes: bool) -> dict[str, Any]:
    database = current_app.extensions["gpassist.db"]
    with database.transaction() if writes else _read_only(database) as db_session:
        user = _current_user(db_session)
        try:
            # strict like a JSON body: ``true`` is not 1, ``"5"`` is not 5
            parsed = validate_json_data(model, {} if data is None and model is NoData else data)
        except ValidationError as exc:
            raise validation_problem(exc, "data") from exc
        reply = handler(db_session, user, parsed)
        # Sent when the transaction commits: nobody hears of what was not stored.
        announce(db_session, reply.notices)
        announce(db_session, reply.relay, skip_sid=request.sid)
    return {"ok": True, **reply.ack}


@contextmanager
def _read_only(database) -> Iterator[Session]:
    """A session that writes nothing; its commit (of nothing) sends what the handler queued."""
    db_session = database.read_sessionmaker()
    try:
        yield db_session
        db_session.commit()
    except BaseException:
        db_session.rollback()
        raise
    finally:
        db_session.close()


def _current_user(db_session: Session) -> User:
    """Re-check the handshake's token on every event: revocation anywhere ends it here too."""
    user = connected_user(db_session)
    if user is None:
        for room in rooms():
            if room != request.sid:
                leave_room(room)  # a revoked socket hears nothing more
        raise Unauthorized(
            "The token is unknown, expired or revoked; log in and reconnect.",
            detail_zh="登录已过期或已退出，请重新登录后再进入会诊室。",
        )
    db_session.info["actor"] = user.username
    db_session.info["actor_id"] = user.id
    return user


# --- requesting, routing, accepting ----------------------------------------------------------


@consult_event("request", RequestEvent)
def on_request(db_session: Session, user: User, data: RequestEvent) -> Reply:
    outcome = service.open_consultation(
        db_session, user, data.encounter_id, data, now=utcnow(), field_prefix="data"
    )
    join_room(consultation_room(outcome.consultation.id))
    return Reply({"consultation": consultation_out(outcome.consultation)}, outcome.notices)


@consult_event("queue", NoData, writes=False)
def on_queue(db_session: Session, user: User, _data: NoData) -> Reply:
    waiting = service.waiting_queue(db_session, user)
    ack: dict[str, Any] = {"items": [consultation_out(c) for c in waiting]}
    if user.role == Role.specialist:
        ack["available"] = service.is_available(db_session, user)
    return Reply(ack)


@consult_event("availability", AvailabilityIn)
def on_availability(db_session: Session, user: User, data: AvailabilityIn) -> Reply:
    row = service.set_availability(db_session, user, data.available)
    waiting = service.waiting_queue(db_session, user) if row.available else []
    return Reply({"available": row.available, "items": [consultation_out(c) for c in waiting]})


@consult_event("accept", ConsultationRef)
def on_accept(db_session: Session, user: User, data: ConsultationRef) -> Reply:
    outcome = service.accept(db_session, user, data.consultation_id, now=utcnow())
    join_room(consultation_room(outcome.consultation.id))
    return Reply({"consultation": consultation_out(outcome.consultation)}, outcome.notices)


# --- the room --------------------------------------------------------------------------------


@consult_event("join", JoinEvent, writes=False)
def on_join(db_session: Session, user: User, data: JoinEvent) -> Reply:
    """Enter the room and receive, in the ack, the consultation and every message after
    ``after_seq``.

    The socket joins before the state and the log are read, so a change stored meanwhile (an
    accept, a message) is in the ack or relayed (possibly both: clients drop a seq they already
    have). The read that checked the right to join is ended first: its rows, and SQLite's
    snapshot, date from before the join, and an accept in between would be neither in the ack
    nor heard (the doctor's room stayed on 等待接诊).
    """
    consultation = service.joinable_consultation(db_session, user, data.consultation_id)
    join_room(consultation_room(consultation.id))
    db_session.rollback()  # nothing was written; what is read next is read after the join
    missed = service.messages_after(db_session, consultation.id, data.after_seq)
    return Reply(
        {
            "consultation": consultation_out(consultation),
            "messages": [message_out(m) for m in missed],
        }
    )


@consult_event("leave", ConsultationRef, writes=False)
def on_leave(db_session: Session, user: User, data: ConsultationRef) -> Reply:
    leave_room(consultation_room(data.consultation_id))
    return Reply({"consultation_id": data.consultation_id})


@consult_event("message", MessageEvent)
def on_message(db_session: Session, user: User, data: MessageEvent) -> Reply:
    posted = service.post_message(
        db_session,
        user,
        data.consultation_id,
        client_msg_id=data.client_msg_id,
        text=data.text,
        attachment_id=data.attachment_id,
        now=utcnow(),
    )
    stored = message_out(posted.message)
    relay = []
    if not posted.duplicate:
        relay.append(Notice("message", stored, (consultation_room(data.consultation_id),)))
    return Reply({"message": stored, "duplicate": posted.duplicate}, posted.outcome.notices, relay)


@consult_event("typing", TypingEvent, writes=False)
def on_typing(db_session: Session, user: User, data: TypingEvent) -> Reply:
    service.typing_allowed(db_session, user, data.consultation_id)
    payload = {"consultation_id": data.consultation_id, "user_id": user.id, "typing": data.typing}
    return Reply({}, relay=[Notice("typing", payload, (consultation_room(data.consultation_id),))])


@consult_event("read", ReadEvent)
def on_read(db_session: Session, user: User, data: ReadEvent) -> Reply:
    receipt = service.mark_read(db_session, user, data.consultation_id, data.seq, now=utcnow())
    payload = {
        "consultation_id": data.consultation_id,
        "user_id": user.id,
        "seq": receipt.last_read_seq,
    }
    room = (consultation_room(data.consultation_id),)
    return Reply({"last_read_seq": receipt.last_read_seq}, relay=[Notice("read", payload, room)])


@consult_event("signal", SignalEvent)
def on_signal(db_session: Session, user: User, data: SignalEvent) -> Reply:
    """WebRTC offer / answer / ICE candidate for the other party: relayed as is, not stored."""
    outcome = service.signal_allowed(db_session, user, data.consultation_id, data.kind)
    payload = {
        "consultation_id": data.consultation_id,
        "from_user_id": user.id,
        "kind": data.kind,
        "data": data.data,
    }
    room = (consultation_room(data.consultation_id),)
    return Reply({}, outcome.notices, relay=[Notice("signal", payload, room)])


@consult_event("close", CloseEvent)
def on_close(db_session: Session, user: User, data: CloseEvent) -> Reply:
    outcome = service.close(db_session, user, data.consultation_id, data.opinion, now=utcnow())
    return Reply({"consultation": consultation_out(outcome.consultation)}, outcome.notices)


@consult_event("cancel", CancelEvent)
def on_cancel(db_session: Session, user: User, data: CancelEvent) -> Reply:
    outcome = service.cancel(db_session, user, data.consultation_id, data.reason, now=utcnow())
    return Reply({"consultation": consultation_out(outcome.consultation)}, outcome.notices)
