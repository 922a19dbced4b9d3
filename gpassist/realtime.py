"""Socket.IO in one place, for every namespace (``/``, ``/consult``, ``/pharmacy``).

- ``authenticate(auth)`` — the connect handler's check: the handshake's token (or the page's
  session), else the connection is refused with a 401 problem.
- ``user_room(user_id)`` — the room every socket of a user joins on connecting, in its namespace,
  so any server process can reach a user (or close their sockets) without knowing which process
  holds them. ``clinic_room(clinic_id)`` likewise for a clinic.
- ``emit_after_commit(session, …)`` — an event sent only once the session commits, never if it
  rolls back: nobody hears of a change that was not stored.
- ``end_user_sockets(user_id)`` — close a user's sockets in every namespace and every process.
- ``queue_state(app)`` — whether the message queue (``GPASSIST_SOCKETIO_QUEUE``) answers.

With a message queue, emits and closes travel through Redis to every server process. When Redis
cannot be reached, this process's own sockets still get their events; the other processes' do
not, and each such emit is logged as a warning (``gpassist.realtime``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import redis
import socketio as python_socketio
from flask import Flask, current_app, request
from flask import session as socket_session
from flask_socketio import ConnectionRefusedError, SocketIO, join_room
from sqlalchemy import event
from sqlalchemy.orm import Session

from gpassist.auth.credentials import handshake_token
from gpassist.auth.service import user_for_token
from gpassist.auth.tables import Role, User

log = logging.getLogger("gpassist.realtime")

DEFAULT_CHANNEL = "flask-socketio"  # Flask-SocketIO's own default: plain emitters still match
QUEUE_CONNECT_TIMEOUT = 2.0  # seconds; an unreachable Redis must not hold a request for minutes
_TOKEN_KEY = "gpassist.realtime.token"
_PENDING_KEY = "gpassist.realtime.pending"
_MANAGER_KEY = "gpassist.realtime.manager"
# A close_room message carrying this flag asks every process to disconnect the room's sockets.
_DISCONNECT_FLAG = "gpassist_disconnect"

Emit = Callable[..., Any]


# --- rooms -----------------------------------------------------------------------------------


def user_room(user_id: int) -> str:
    """The room of every socket of user ``user_id`` (the same name in every namespace)."""
    return f"user:{user_id}"


def clinic_room(clinic_id: int) -> str:
    """The room of every socket of a clinic's staff (the same name in every namespace)."""
    return f"clinic:{clinic_id}"


# --- connecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SocketUser:
    """Who a socket belongs to, as checked in its handshake."""

    id: int
    role: Role
    clinic_id: int | None
    token: str


def refused(title: str, title_zh: str, *, status: int = 401) -> ConnectionRefusedError:
    """The refusal of a handshake: ``connect_error`` data is a problem object, with the
    Chinese the pages show."""
    slug = "unauthorized" if status == 401 else "forbidden"
    problem = {"type": f"/problems/{slug}", "title": title, "title_zh": title_zh, "status": status}
    return ConnectionRefusedError(problem)


def authenticate(auth: object) -> SocketUser:
    """Check a connect handler's handshake and return its user, or refuse the connection.

    The token is ``auth={"token": …}``, or the logged-in page's session from this site's own
    origin (``gpassist.auth.credentials.handshake_token``). On success the socket joins
    ``user_room`` in its namespace and keeps the token, so ``connected_user`` can check it again
    on every event. Raises ``ConnectionRefusedError`` (401) for no token or a dead one.
    """
    token = handshake_token(auth)
    if token is None:
        raise refused("token required", "请先登录。")
    database = current_app.extensions["gpassist.db"]
    with database.read_sessionmaker() as db_session:
        user = user_for_token(db_session, token)
        if user is None:
            raise refused("unknown, expired or revoked token", "登录已过期或已退出，请重新登录。")
        found = SocketUser(user.id, user.role, user.clinic_id, token)
    socket_session[_TOKEN_KEY] = token
    join_room(user_room(found.id))
    log.info("socket %s on %s connected for user %s", request.sid, request.namespace, found.id)
    return found


def connected_user(db_session: Session) -> User | None:
    """The user of the current socket event, if the handshake's token is still live."""
    token = socket_session.get(_TOKEN_KEY)
    return user_for_token(db_session, token) if token else None


# --- emitting after commit -------------------------------------------------------------------


@dataclass(frozen=True)
class _Pending:
    event: str
    payload: Any
    rooms: tuple[str, ...]
    namespace: str
    skip_sid: str | None
    emit: Emit | None


def emit_after_commit(
    session: Session,
    event_name: str,
    payload: Any,
    *,
    to: Iterable[str],
    namespace: str,
    skip_sid: str | None = None,
    emit: Emit | None = None,
) -> None:
    """Send ``event_name`` to the rooms ``to`` once ``session`` commits; never if it rolls back.

    A socket in several of the rooms gets it once; ``skip_sid`` (the sender) not at all. ``emit``
    defaults to the app's Socket.IO (a separate scheduler process passes its queue emitter). A
    session with no transaction open begins one here, so the event waits for its commit too.
    """
    pending = _Pending(event_name, payload, tuple(to), namespace, skip_sid, emit)
    if not pending.rooms:
        return
    if not session.in_transaction():
        session.begin()
    session.info.setdefault(_PENDING_KEY, []).append(pending)


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    for pending in session.info.pop(_PENDING_KEY, ()):
        _send(pending)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def _send(pending: _Pending) -> None:
    emit = pending.emit
    if emit is None:
        if socketio.server is None:  # no Socket.IO in this process (a CLI command)
            return
        emit = socketio.emit
    try:
        emit(
            pending.event,
            pending.payload,
            to=list(pending.rooms),
            namespace=pending.namespace,
            skip_sid=pending.skip_sid,
        )
    except Exception:  # the change is committed; a failed notification must not undo it
        log.exception("could not emit %s to %s", pending.event, ", ".join(pending.rooms))


# --- closing a user's sockets ----------------------------------------------------------------


def end_user_sockets(user_id: int) -> int:
    """Disconnect every socket of a user whose tokens were just revoked (logout, password
    reset), in every namespace and, through the message queue, in every server process.

    Returns how many this process closed; other processes close theirs when the queue
    delivers. Without a reachable queue, other processes' sockets are refused at their next
    event and /consult's sweep closes listening ones.
    """
    server = socketio.server
    if server is None:
        return 0
    manager = server.manager
    return sum(manager.disconnect_room(user_room(user_id), ns) for ns in list(server.handlers))


# --- client managers -------------------------------------------------------------------------


class _ClosesRooms:
    """What both managers share: closing this process's sockets in a room."""

    def disconnect_local_room(self, room: str, namespace: str) -> int:
        """Disconnect this process's sockets in ``room``; returns how many."""
        sids = [sid for sid, _eio in self.get_participants(namespace, room)]  # type: ignore[attr-defined]
        for sid in sids:
            self.server.disconnect(sid, namespace=namespace, ignore_queue=True)  # type: ignore[attr-defined]
        return len(sids)


class LocalManager(_ClosesRooms, python_socketio.Manager):
    """One server process, no message queue."""

    def disconnect_room(self, room: str, namespace: str) -> int:
        """Disconnect every socket in ``room``; returns how many."""
        return self.disconnect_local_room(room, namespace)

    def queue_state(self) -> str:
        """Always ``"none"``: there is no queue to reach."""
        return "none"


class QueueManager(_ClosesRooms, python_socketio.RedisManager):
    """Several server processes sharing rooms through Redis pub/sub.

    Adds to python-socketio's Redis manager: closing a room's sockets in every process, a
    warning for each message that could not reach Redis, and a check that Redis answers.
    """

    def __init__(self, url: str, channel: str, write_only: bool = False) -> None:
        super().__init__(
            url,
            channel=channel,
            write_only=write_only,
            redis_options={"socket_connect_timeout": QUEUE_CONNECT_TIMEOUT},
        )

    def disconnect_room(self, room: str, namespace: str) -> int:
        """Disconnect the room's sockets here and, through Redis, in every other process;
        returns how many this process closed."""
        closed = self.disconnect_local_room(room, namespace)
        self._publish(
            {
                "method": "close_room",
                "room": room,
                "namespace": namespace,
                "host_id": self.host_id,
                _DISCONNECT_FLAG: True,
            }
        )
        return closed

    def _handle_close_room(self, message: dict) -> None:
        if message.get(_DISCONNECT_FLAG):
            self.disconnect_local_room(message.get("room", ""), message.get("namespace") or "/")
        else:
            super()._handle_close_room(message)

    def _publish(self, data: dict) -> Any:
        published = super()._publish(data)  # None when Redis could not be reached (twice)
        if published is None:
            what = data.get("event") or data.get("method")
            room = data.get("room") or "everyone"
            log.warning(
                "Socket.IO queue %s unreachable: %s to %s on %s reached only this process",
                self.where(),
                what,
                room if isinstance(room, str) else ", ".join(room),
                data.get("namespace") or "/",
            )
        return published

    def where(self) -> str:
        """The queue's host and port, without credentials (for log lines)."""
        parsed = urlparse(self.redis_url)
        return f"{parsed.hostname}:{parsed.port or 6379}"

    def queue_state(self) -> str:
        """``"ok"`` when Redis answers a PING within a second, else ``"unreachable"``."""
        client = redis.Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=1)
        try:
            return "ok" if client.ping() else "unreachable"
        except redis.RedisError:
            return "unreachable"
        finally:
            client.close()


def client_manager(url: str | None, channel: str, *, write_only: bool = False):
    """The client manager for a queue URL: ``LocalManager`` without one."""
    if not url:
        return LocalManager()
    if urlparse(url).scheme not in {"redis", "rediss", "unix"}:
        raise ValueError("GPASSIST_SOCKETIO_QUEUE must be a redis://, rediss:// or unix:// URL")
    return QueueManager(url, channel, write_only=write_only)


def queue_state(app: Flask) -> str:
    """``"none"`` (no queue configured), ``"ok"`` (Redis answers) or ``"unreachable"``."""
    manager = app.extensions.get(_MANAGER_KEY)
    return manager.queue_state() if manager is not None else "none"


class RealtimeSocketIO(SocketIO):
    """Flask-SocketIO with this module's client manager, chosen afresh on every ``init_app``.

    ``message_queue`` is the Redis URL (or None), ``channel`` the pub/sub channel (default: the
    app's ``SOCKETIO_CHANNEL``). Flask-SocketIO would otherwise keep the previous app's queue
    manager for a later app that has none.
    """

    def init_app(self, app, **kwargs) -> None:
        url = kwargs.pop("message_queue", None)
        channel = kwargs.pop("channel", None)
        if channel is None and app is not None:
            channel = app.config.get("SOCKETIO_CHANNEL")
        self.server_options.pop("message_queue", None)
        manager = client_manager(url, channel or DEFAULT_CHANNEL, write_only=app is None)
        super().init_app(app, client_manager=manager, **kwargs)
        if app is not None:
            app.extensions[_MANAGER_KEY] = manager


def queue_emitter(url: str, channel: str | None = None) -> Emit:
    """An ``emit`` for a process without sockets (the scheduler CLI): through the queue only."""
    return RealtimeSocketIO(message_queue=url, channel=channel or DEFAULT_CHANNEL).emit


socketio = RealtimeSocketIO()
