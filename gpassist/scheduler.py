"""Timed work that must fire once across several server processes: a lease in the database.

Every server process may run a ``LeaseScheduler``; on each tick it tries to take or renew the
named lease with one conditional UPDATE (``holder = me OR expires_at < now``), and only the
holder runs the jobs. A holder that dies stops renewing, and another process takes over once the
lease has run out. Jobs should still be idempotent (conditional updates of their own), so a
takeover in the middle of a tick cannot apply a step twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import String, or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from gpassist.db import Base, Database, UTCDateTime, utcnow

log = logging.getLogger("gpassist.scheduler")


class SchedulerLease(Base):
    """Who runs the timed jobs of ``name`` until ``expires_at``."""

    __tablename__ = "scheduler_leases"
    __audit__ = False  # renewed every few seconds; not a record anyone acts on

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def make_holder_id() -> str:
    """Unique per scheduler instance: host, process and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def try_acquire(
    session: Session, name: str, holder: str, ttl: dt.timedelta, now: dt.datetime
) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until ``now + ttl``."""
    renewed = session.execute(
        update(SchedulerLease)
        .where(
            SchedulerLease.name == name,
            or_(SchedulerLease.holder == holder, SchedulerLease.expires_at < now),
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount == 1:
        return True
    if session.get(SchedulerLease, name) is not None:
        return False  # someone else holds a live lease
    try:
        with session.begin_nested():
            session.add(SchedulerLease(name=name, holder=holder, expires_at=now + ttl))
        return True
    except IntegrityError:  # another process created the lease row first
        return False


def release(session: Session, name: str, holder: str, now: dt.datetime) -> None:
    """Give the lease up now (on shutdown): another process need not wait for it to expire."""
    session.execute(
        update(SchedulerLease)
        .where(SchedulerLease.name == name, SchedulerLease.holder == holder)
        .values(expires_at=now)
        .execution_options(synchronize_session=False)
    )


Job = Callable[[Database, dt.datetime], object]


@dataclass
class LeaseScheduler:
    """Runs ``jobs`` every ``interval`` seconds in whichever instance holds the lease ``name``."""

    database: Database
    name: str
    jobs: list[Job]
    interval: float = 5.0
    ttl: dt.timedelta = dt.timedelta(seconds=30)
    holder: str = ""

    def __post_init__(self) -> None:
        self.holder = self.holder or make_holder_id()
        self._stop = threading.Event()

    def tick(self, now: dt.datetime | None = None) -> bool:
        """One round: take/renew the lease, and if held run every job. True if the jobs ran."""
        now = now or utcnow()
        with self.database.transaction(actor=f"scheduler:{self.name}") as session:
            held = try_acquire(session, self.name, self.holder, self.ttl, now)
        if not held:
            return False
        for job in self.jobs:
            try:
                job(self.database, now)
            except Exception:  # one failing job must not stop the others or the loop
                log.exception("scheduler %s: job %s failed", self.name, job.__name__)
        return True

    def run_forever(self, sleep: Callable[[float], object] | None = None) -> None:
        """Tick until ``stop()``; ``sleep`` lets Flask-SocketIO pick a gevent-friendly sleep."""
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the database may be briefly unreachable; try again next tick
                log.exception("scheduler %s: tick failed", self.name)
            if sleep is None:
                self._stop.wait(self.interval)
            else:
                sleep(self.interval)

    def stop(self) -> None:
        self._stop.set()
        try:
            with self.database.transaction(actor=f"scheduler:{self.name}") as session:
                release(session, self.name, self.holder, utcnow())
        except Exception:  # shutting down: the lease simply expires
            log.warning("scheduler %s: could not release the lease", self.name)
