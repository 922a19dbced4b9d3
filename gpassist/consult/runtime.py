"""Sending notices and running the consultation scheduler inside a server process (or alone)."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from gpassist.consult.service import Notice, escalate_and_expire
from gpassist.consult.states import Timeouts
from gpassist.db import Database
from gpassist.scheduler import LeaseScheduler

log = logging.getLogger("gpassist.consult")

NAMESPACE = "/consult"
LEASE_NAME = "consult"
_START_LOCK = threading.Lock()

Emit = Callable[..., Any]


def send_notices(emit: Emit, notices: Iterable[Notice], skip_sid: str | None = None) -> None:
    """Emit each notice once per socket (a list of rooms reaches a socket in several only once)."""
    for notice in notices:
        if notice.rooms:
            emit(
                notice.event,
                notice.payload,
                to=list(notice.rooms),
                namespace=NAMESPACE,
                skip_sid=skip_sid,
            )


def timeouts_from(config: dict[str, Any]) -> Timeouts:
    """The escalation and expiry delays of waiting consultations, from the settings."""
    return Timeouts(
        department_after=config["CONSULT_DEPARTMENT_AFTER_SECONDS"],
        admins_after=config["CONSULT_ADMINS_AFTER_SECONDS"],
        expire_after=config["CONSULT_EXPIRE_AFTER_SECONDS"],
    )


def escalation_job(timeouts: Timeouts, emit: Emit) -> Callable[[Database, dt.datetime], None]:
    """The scheduler job that escalates and expires waiting consultations, committing before
    it sends the notices through ``emit``.
    """

    def escalate_waiting_requests(database: Database, now: dt.datetime) -> None:
        with database.transaction(actor="scheduler:consult") as session:
            notices = escalate_and_expire(session, now, timeouts)
        send_notices(emit, notices)
        if notices:
            log.info("consult scheduler sent %d notices", len(notices))

    return escalate_waiting_requests


def make_scheduler(database: Database, config: dict[str, Any], emit: Emit) -> LeaseScheduler:
    """The consultation scheduler: the escalation job, run by whichever process holds the lease."""
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
        from gpassist.auth.service import hash_token

        with self._lock:
            self._by_sid[sid] = hash_token(token)

    def remove(self, sid: str) -> None:
        with self._lock:
            self._by_sid.pop(sid, None)

    def dead(self, database: Database, now: dt.datetime) -> list[str]:
        """The sids whose token is no longer live."""
        from sqlalchemy import select

        from gpassist.auth.tables import ApiToken

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


def sweep_revoked_sockets(database: Database, interval: float) -> None:
    """Forever: disconnect this process's /consult sockets whose token died."""
    from gpassist.db import utcnow
    from gpassist.extensions import socketio

    while True:
        socketio.sleep(interval)
        try:
            for sid in LOCAL_SOCKETS.dead(database, utcnow()):
                log.info("consult socket %s: token no longer live, disconnecting", sid)
                LOCAL_SOCKETS.remove(sid)
                socketio.server.disconnect(sid, namespace=NAMESPACE)
        except Exception:  # the database may be briefly unreachable; sweep again later
            log.exception("consult socket sweep failed")


def ensure_scheduler(app: Flask) -> LeaseScheduler | None:
    """Start this process's scheduler and socket sweep once (on its first /consult connection).

    Every server process runs one; the database lease lets only one of them work at a time.
    Started lazily rather than in ``create_app`` so apps built for tests, the CLI or the OpenAPI
    document start no thread.
    """
    from gpassist.extensions import socketio

    if app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] <= 0:
        return None
    with _START_LOCK:
        scheduler = app.extensions.get("gpassist.consult.scheduler")
        if scheduler is None:
            scheduler = make_scheduler(app.extensions["gpassist.db"], app.config, socketio.emit)
            app.extensions["gpassist.consult.scheduler"] = scheduler
            socketio.start_background_task(scheduler.run_forever, socketio.sleep)
            socketio.start_background_task(
                sweep_revoked_sockets, scheduler.database, scheduler.interval
            )
            log.info("consult scheduler started as %s", scheduler.holder)
    return scheduler
