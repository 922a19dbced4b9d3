"""The scheduler lease: with several instances, timed work fires once; a dead holder is replaced."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from gpassist.auth.tables import User
from gpassist.consult import service
from gpassist.consult.runtime import LEASE_NAME, escalation_job
from gpassist.consult.schemas import ConsultationIn
from gpassist.consult.states import Timeouts
from gpassist.consult.tables import Consultation
from gpassist.db import Database
from gpassist.scheduler import LeaseScheduler

TIMEOUTS = Timeouts(department_after=300, admins_after=900, expire_after=3600)
T0 = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


@pytest.fixture
def database(world):
    database = Database(world.database_url)
    yield database
    database.dispose()


class Recorder:
    """Stands in for Socket.IO's emit: what each scheduler instance would have sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict, tuple]] = []
        self.lock = threading.Lock()

    def __call__(self, event, payload, to, namespace, skip_sid=None):
        with self.lock:
            self.sent.append((event, payload, tuple(to)))


def two_schedulers(database) -> tuple[LeaseScheduler, LeaseScheduler, Recorder]:
    sent = Recorder()
    make = [
        LeaseScheduler(
            database, LEASE_NAME, [escalation_job(TIMEOUTS, sent)], ttl=dt.timedelta(seconds=30)
        )
        for _ in range(2)
    ]
    return make[0], make[1], sent


def open_request(database, world, at: dt.datetime) -> int:
    with database.transaction(actor="test") as session:
        doctor = session.get(User, world.ids["doctor_a"])
        data = ConsultationIn(reason="夜间胸痛", urgency="urgent", department="cardiology")
        return service.open_consultation(
            session, doctor, world.encounters["doctor_a"], data, now=at
        ).consultation.id


def escalations(sent: Recorder) -> list[str]:
    return [p["change"] for e, p, _ in sent.sent if e == "queue_changed"]


def test_only_one_of_two_instances_holds_the_lease_and_runs_the_jobs(database, world):
    first, second, sent = two_schedulers(database)
    open_request(database, world, T0)
    late = T0 + dt.timedelta(seconds=301)
    barrier = threading.Barrier(2)
    ran: dict[str, bool] = {}

    def tick(scheduler):
        barrier.wait()
        ran[scheduler.holder] = scheduler.tick(late)

    threads = [threading.Thread(target=tick, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(ran.values()) == [False, True]
    assert escalations(sent) == ["escalated"]  # the department was told once

    holder = first if ran[first.holder] else second
    other = second if holder is first else first
    assert other.tick(late + dt.timedelta(seconds=10)) is False  # the lease is still live
    assert holder.tick(late + dt.timedelta(seconds=10)) is True  # renewed by its holder


def test_a_dead_holder_is_replaced_after_the_lease_runs_out(database, world):
    first, second, sent = two_schedulers(database)
    consultation_id = open_request(database, world, T0)
    assert first.tick(T0 + dt.timedelta(seconds=301)) is True  # department told
    # first dies here (never ticks again); second waits for the lease to expire.
    assert second.tick(T0 + dt.timedelta(seconds=320)) is False
    assert second.tick(T0 + dt.timedelta(seconds=901)) is True  # admins told
    assert second.tick(T0 + dt.timedelta(seconds=3601)) is True  # expired
    assert escalations(sent) == ["escalated", "escalated", "expired"]
    with database.sessionmaker() as session:
        stored = session.get(Consultation, consultation_id)
        assert stored.state == "expired" and stored.escalation == 2
    admins_told = [to for e, p, to in sent.sent if e == "queue_changed"][1]
    assert admins_told == (service.user_room(world.ids["admin"]),)
    doctor_heard = [p["consultation"]["state"] for e, p, to in sent.sent if e == "consultation"]
    assert doctor_heard == ["requested", "requested", "expired"]


def test_an_accepted_request_is_neither_escalated_nor_expired(database, world):
    first, _, sent = two_schedulers(database)
    consultation_id = open_request(database, world, T0)
    with database.transaction(actor="test") as session:
        specialist = session.get(User, world.ids["specialist"])
        service.accept(session, specialist, consultation_id, now=T0 + dt.timedelta(seconds=10))
    assert first.tick(T0 + dt.timedelta(hours=5)) is True
    assert sent.sent == []


def test_stopping_releases_the_lease_at_once(database, world):
    first, second, _ = two_schedulers(database)
    assert first.tick() is True
    assert second.tick() is False
    first.stop()
    assert second.tick() is True
