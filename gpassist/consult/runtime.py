"""Sending notices and running the consultation scheduler inside a server process (or alone)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.service import hash_token
from gpassist.auth.tables import ApiToken
from gpassist.consult.service import Notice, escalate_and_expire
from gpassist.consult.states import Timeouts
from gpassist.db import Database, utcnow
from gpassist.realtime import Emit, emit_after_commit, socketio
from gpassist.scheduler import LeaseScheduler

log = logging.getLogger("gpassist.consult")

NAMESPACE = "/consult"
LEASE_NAME = "consult"
_START_LOCK = threading.Lock()


def announce(
    session: Session,
    notices: Iterable[Notice],
    *,
    skip_sid: str | None = None,
    emit: Emit | None = None,
) -> None:
    """Send each notice on /consult once ``session`` commits (a socket in several of its rooms
    gets it once; ``skip_sid``, the sender, not at all)."""
    for notice in notices:
        emit_after_commit(
            session,
            notice.event,
            notice.payload,
            to=notice.rooms,
            namespace=NAMESPACE,
            skip_sid=skip_sid,
            emit=emit,
        )


def timeouts_from(config) -> Timeouts:
    """The escalation and expiry delays of the settings."""
    return Timeouts(
        department_after=config["CONSULT_DEPARTMENT_AFTER_SECONDS"],
        admins_after=config["CONSULT_ADMINS_AFTER_SECONDS"],
        expire_after=config["CONSULT_EXPIRE_AFTER_SECONDS"],
    )


def escalation_job(
    timeouts: Timeouts, emit: Emit | None = None
) -> Callable[[Database, dt.datetime], None]:
    """The scheduler's job: escalate or expire waiting requests, then tell whom it concerns.

    ``emit`` defaults to this process's Socket.IO; the scheduler CLI passes its queue emitter.
    """

    def escalate_waiting_requests(database: Database, now: dt.datetime) -> None:
        with database.transaction(actor="scheduler:consult") as session:
            notices = escalate_and_expire(session, now, timeouts)
            announce(session, notices, emit=emit)
        if notices:
            log.info("consult scheduler sent %d notices", len(notices))

    return escalate_waiting_requests


def make_scheduler(database: Database, config, emit: Emit | None = None) -> LeaseScheduler:
    """The lease-holding scheduler that runs ``escalation_job`` every configured interval."""
    return LeaseScheduler(
        database=database,
        name=LEASE_NAME,
        jobs=[escalation_job(timeouts_from(config), emit)],
        interval=config["CONSULT_SCHEDULER_INTERVAL_SECONDS"],
        ttl=dt.timedelta(seconds=config["CONSULT_SCHEDULER_LEASE_SECONDS"]),
    )


class LocalSockets:
    """This process's /consult sockets and their tokens' hashes, to end revoked ones.

    Every event re-checks its token, but a socket that only listens sends no event: the sweep
    closes sockets whose token was revoked or expired, in whichever process that happened.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, str] = {}

    def add(self, sid: str, token: str) -> None:
        with self._lock:
            self._by_sid[sid] = hash_token(token)

    def remove(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def dead(self, database: Database, now: dt.datetime) -> list[str]:
        """The sids whose token is no longer live."""
        with self._lock:
            by_sid = dict(self._by_sid)
        if not by_sid:
            return []
        with database.read_sessionmaker() as session:
            live = set(
                session.scalars(
                    select(ApiToken.token_hash).where(
                        ApiToken.token_hash.in_(set(by_sid.values())),
                        ApiToken.revoked_at.is_(None),
                        ApiToken.expires_at > now,
                    )
                )
            )
        return [sid for sid, token_hash in by_sid.items() if token_hash not in live]


LOCAL_SOCKETS = LocalSockets()


def close_dead_sockets(database: Database, now: dt.datetime) -> list[str]:
    """Disconnect this process's /consult sockets whose token was revoked or has expired."""
    closed = LOCAL_SOCKETS.dead(database, now)
    for sid in closed:
        log.info("consult socket %s: token no longer live, disconnecting", sid)
        LOCAL_SOCKETS.remove(sid)
        socketio.server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
    return closed


def sweep_revoked_sockets(database: Database, interval: float) -> None:
    """Forever: ``close_dead_sockets`` every ``interval`` seconds."""
    while True:
        socketio.sleep(interval)
        try:
            close_dead_sockets(database, utcnow())
        except Exception:  # the database may be briefly unreachable; sweep again later
            log.exception("consult socket sweep failed")


def ensure_scheduler(app: Flask) -> LeaseScheduler | None:
    """Start this process's scheduler and socket sweep once (on its first /consult connection).

    Every server process runs one; the database lease lets only one of them work at a time.
    Started lazily rather than in ``create_app`` so apps built for tests, the CLI or the OpenAPI
    document start no thread.
    """
    if app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] <= 0:
        return None
    with _START_LOCK:
        scheduler = app.extensions.get("gpassist.consult.scheduler")
        if scheduler is None:
            scheduler = make_scheduler(app.extensions["gpassist.db"], app.config)
            app.extensions["gpassist.consult.scheduler"] = scheduler
            socketio.start_background_task(scheduler.run_forever, socketio.sleep)
            socketio.start_background_task(
                sweep_revoked_sockets, scheduler.database, scheduler.interval
            )
            log.info("consult scheduler started as %s", scheduler.holder)
    return scheduler
