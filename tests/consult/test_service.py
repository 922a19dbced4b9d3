"""Consultation service on each database: routing, the accept race, sequence numbers, opinions."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import select

from gpassist.auth.tables import User
from gpassist.consult import service
from gpassist.consult.schemas import ConsultationIn, Opinion
from gpassist.consult.tables import Consultation, ConsultMessage
from gpassist.db import Database, utcnow
from gpassist.errors import Conflict, Forbidden, NotFound
from gpassist.patients.tables import Encounter
from gpassist.referrals.tables import Referral
from tests.consult.conftest import add_encounter


@pytest.fixture
def database(world):
    database = Database(world.database_url)
    yield database
    database.dispose()


def as_user(database: Database, world, name: str, work: Callable):
    """Run ``work(session, user)`` in one committed transaction as the named user."""
    with database.transaction(actor=name) as session:
        return work(session, session.get(User, world.ids[name]))


def request(database, world, urgency="routine", at=None, encounter=None) -> int:
    def open_one(session, user):
        data = ConsultationIn(reason="请会诊", urgency=urgency, department="cardiology")
        encounter_id = encounter or world.encounters["doctor_a"]
        outcome = service.open_consultation(session, user, encounter_id, data, now=at or utcnow())
        return outcome.consultation.id

    return as_user(database, world, "doctor_a", open_one)


def concurrently(*calls: Callable) -> list:
    """Start the calls at the same moment on their own threads; results or raised errors."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # collected: the test asserts on which one failed and how
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_specialists_accepting_at_once_one_wins(database, world):
    for _ in range(5):  # several rounds: the interleaving differs from run to run
        consultation_id = request(database, world)

        def accept_as(name, consultation_id=consultation_id):
            return lambda: as_user(
                database,
                world,
                name,
                lambda s, u: service.accept(s, u, consultation_id, now=utcnow()).consultation.id,
            )

        results = concurrently(accept_as("specialist"), accept_as("specialist2"))
        assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"]
        with database.sessionmaker() as session:
            stored = session.get(Consultation, consultation_id)
            winner = "specialist" if isinstance(results[0], int) else "specialist2"
            assert stored.specialist_id == world.ids[winner]
            assert stored.state == "accepted"


def test_waiting_requests_are_served_most_urgent_then_oldest(database, world):
    t0 = utcnow() - dt.timedelta(minutes=30)
    routine_old = request(database, world, "routine", t0)
    urgent_new = request(database, world, "urgent", t0 + dt.timedelta(minutes=10))
    urgent_old = request(database, world, "urgent", t0 + dt.timedelta(minutes=5))
    emergency = request(database, world, "emergency", t0 + dt.timedelta(minutes=20))
    queue = as_user(
        database, world, "specialist", lambda s, u: [c.id for c in service.waiting_queue(s, u)]
    )
    assert queue == [emergency, urgent_old, urgent_new, routine_old]
    # Another department's specialists see none of it; the doctor sees their own.
    assert as_user(database, world, "doctor_b", lambda s, u: service.waiting_queue(s, u)) == []


def test_a_request_reaches_only_the_available_specialists(database, world):
    as_user(database, world, "specialist2", lambda s, u: service.set_availability(s, u, True))

    def open_one(session, user):
        data = ConsultationIn(reason="请会诊", department="cardiology")
        return service.open_consultation(
            session, user, world.encounters["doctor_a"], data, now=utcnow()
        )

    outcome = as_user(database, world, "doctor_a", open_one)
    queued = next(n for n in outcome.notices if n.event == "queue_changed")
    assert queued.rooms == (service.user_room(world.ids["specialist2"]),)
    state = next(n for n in outcome.notices if n.event == "consultation")
    assert state.payload["specialists_notified"] == 1


def test_availability_survives_a_restart(world):
    first = Database(world.database_url)
    as_user(first, world, "specialist", lambda s, u: service.set_availability(s, u, True))
    first.dispose()
    restarted = Database(world.database_url)
    try:
        assert as_user(restarted, world, "specialist", service.is_available) is True
        assert as_user(restarted, world, "specialist2", service.is_available) is False
    finally:
        restarted.dispose()


def accepted(database, world) -> int:
    consultation_id = request(database, world)
    as_user(
        database,
        world,
        "specialist",
        lambda s, u: service.accept(s, u, consultation_id, now=utcnow()),
    )
    return consultation_id


def post(database, world, name, consultation_id, client_msg_id, text="文字"):
    return as_user(
        database,
        world,
        name,
        lambda s, u: (
            service.post_message(
                s,
                u,
                consultation_id,
                client_msg_id=client_msg_id,
                text=text,
                attachment_id=None,
                now=utcnow(),
            ).message.seq
        ),
    )


def test_concurrent_senders_get_gap_free_unique_sequence_numbers(database, world):
    consultation_id = accepted(database, world)

    def burst(name):
        return lambda: [
            post(database, world, name, consultation_id, f"{name}-{i}") for i in range(15)
        ]

    doctor_seqs, specialist_seqs = concurrently(burst("doctor_a"), burst("specialist"))
    assert sorted(doctor_seqs + specialist_seqs) == list(range(1, 31))
    assert doctor_seqs == sorted(doctor_seqs) and specialist_seqs == sorted(specialist_seqs)


def test_the_same_client_message_id_is_stored_once_even_at_once(database, world):
    consultation_id = accepted(database, world)
    results = concurrently(
        *[lambda: post(database, world, "doctor_a", consultation_id, "same-id") for _ in range(3)]
    )
    assert results == [1, 1, 1]
    with database.sessionmaker() as session:
        stored = session.scalars(
            select(ConsultMessage).where(ConsultMessage.consultation_id == consultation_id)
        ).all()
        assert len(stored) == 1
    # The other party reusing that id is refused rather than silently dropped.
    with pytest.raises(Conflict):
        post(database, world, "specialist", consultation_id, "same-id")


def test_closing_with_referral_writes_the_opinion_on_the_encounter(database, world):
    consultation_id = accepted(database, world)
    opinion = Opinion(assessment="稳定型心绞痛可能", advice="加用硝酸酯类，一周后复诊", refer=True)
    with pytest.raises(NotFound):  # the colleague who did not accept is no party
        as_user(
            database,
            world,
            "specialist2",
            lambda s, u: service.close(s, u, consultation_id, opinion, now=utcnow()),
        )
    with pytest.raises(Forbidden):  # an admin reads along but gives no opinion
        as_user(
            database,
            world,
            "admin",
            lambda s, u: service.close(s, u, consultation_id, opinion, now=utcnow()),
        )
    closed = as_user(
        database,
        world,
        "specialist",
        lambda s, u: service.close(s, u, consultation_id, opinion, now=utcnow()).consultation,
    )
    assert closed.state == "closed" and closed.referral_id is not None
    with database.sessionmaker() as session:
        notes = session.get(Encounter, world.encounters["doctor_a"]).notes
        assert "稳定型心绞痛可能" in notes and "建议转诊 Referral: 是 yes" in notes
        referral = session.get(Referral, closed.referral_id)
        assert referral.source == "consultation" and referral.source_id == consultation_id
    with pytest.raises(Conflict):  # closed once
        as_user(
            database,
            world,
            "specialist",
            lambda s, u: service.close(s, u, consultation_id, opinion, now=utcnow()),
        )


def test_only_the_requesting_doctor_cancels_and_only_parties_see(database, world):
    consultation_id = request(database, world)
    with pytest.raises(NotFound):  # another clinic does not even learn it exists
        as_user(
            database,
            world,
            "doctor_b",
            lambda s, u: service.cancel(s, u, consultation_id, None, now=utcnow()),
        )
    with pytest.raises(NotFound):  # a colleague at the same clinic is not a party either
        as_user(
            database,
            world,
            "doctor_a2",
            lambda s, u: service.visible_consultation(s, u, consultation_id),
        )
    cancelled = as_user(
        database,
        world,
        "doctor_a",
        lambda s, u: service.cancel(s, u, consultation_id, "病人已转院", now=utcnow()).consultation,
    )
    assert cancelled.state == "cancelled"
    with pytest.raises(Conflict):
        as_user(
            database,
            world,
            "specialist",
            lambda s, u: service.accept(s, u, consultation_id, now=utcnow()),
        )


def test_a_doctor_may_consult_on_any_of_their_encounters(database, world):
    def second_encounter(session, user):
        return add_encounter(session, user, "反复头晕")

    encounter = as_user(database, world, "doctor_a", second_encounter)
    consultation_id = request(database, world, encounter=encounter)
    with database.sessionmaker() as session:
        stored = session.get(Consultation, consultation_id)
        assert stored.summary["chief_complaint"] == "反复头晕"
        assert stored.summary["patient"] == {"sex": "male", "age": stored.summary["patient"]["age"]}
