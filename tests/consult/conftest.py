"""Consultation fixtures: a prepared database, real server processes, Socket.IO peers."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio as socketio_client

from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Department, Facility
from gpassist.db import Database
from gpassist.patients.schemas import EncounterIn, PatientIn
from gpassist.patients.service import create_patient, record_encounter
from tests.conftest import build_world, make_users, password_hash
from tests.servers import BIN, free_port, running_server, service_env

NAMESPACE = "/consult"
PEER_EVENTS = ("message", "consultation", "queue_changed", "typing", "read", "signal", "probe")


# --- a prepared database ---------------------------------------------------------------------


@dataclass
class World:
    """Users with tokens and one encounter per village doctor, in a database of its own."""

    database_url: str
    ids: dict[str, int]
    tokens: dict[str, str]
    encounters: dict[str, int]


def add_second_cardiologist(session) -> User:
    department_id = (
        session.query(Department.id)
        .join(Facility, Department.facility_id == Facility.id)
        .filter(Facility.code == "CH", Department.code == "cardiology")
        .scalar()
    )
    user = User(
        username="specialist2",
        display_name="Specialist Two",
        password_hash=password_hash(),
        role=Role.specialist,
        department_id=department_id,
    )
    session.add(user)
    session.flush()
    return user


def add_encounter(session, doctor: User, complaint: str = "胸闷气短两天") -> int:
    patient = create_patient(
        session, doctor, PatientIn(name="王大爷", sex="male", birth_date=dt.date(1954, 3, 2))
    )
    encounter = record_encounter(
        session,
        doctor,
        patient.id,
        EncounterIn(
            chief_complaint=complaint,
            symptoms=["胸闷", "气短"],
            vitals={"sbp": 172, "dbp": 96, "heart_rate": 104},
            diagnoses=["I10"],
        ),
    )
    return encounter.id


def prepare_world(database_url: str, registry) -> World:
    database = Database(database_url)
    try:
        build_world(database, registry)
        with database.transaction(actor="test") as session:
            users = make_users(session)
            users["specialist2"] = add_second_cardiologist(session)
            tokens = {
                name: issue_token(session, user, ttl=dt.timedelta(hours=2)).token
                for name, user in users.items()
            }
            encounters = {
                name: add_encounter(session, users[name]) for name in ("doctor_a", "doctor_b")
            }
            ids = {name: user.id for name, user in users.items()}
        return World(database_url, ids, tokens, encounters)
    finally:
        database.dispose()


@pytest.fixture
def world(database_url, mini_registry) -> World:
    return prepare_world(database_url, mini_registry)


# --- real server processes -------------------------------------------------------------------


class LiveServer:
    """``gpassist serve`` in a child process, which a test may stop and start again."""

    def __init__(self, world: World, instance: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = service_env(world.database_url, instance, **env)
        self._stack: ExitStack | None = None

    def start(self) -> LiveServer:
        self._stack = ExitStack()
        args = [str(BIN / "gpassist"), "serve", "--port", str(self.port)]
        self._stack.enter_context(running_server(args, self.env, self.port))
        return self

    def stop(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., LiveServer]]:
    servers: list[LiveServer] = []

    def start(world: World, **env: str) -> LiveServer:
        env.setdefault("GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS", "0")
        server = LiveServer(world, tmp_path / f"instance-{len(servers)}", **env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


# --- Socket.IO peers -------------------------------------------------------------------------


@dataclass
class Peer:
    """A python-socketio client on /consult that records what the server pushes to it."""

    client: socketio_client.Client
    received: dict[str, list[Any]] = field(default_factory=lambda: defaultdict(list))
    changed: threading.Condition = field(default_factory=threading.Condition)

    def call(self, event: str, data: Any = None) -> dict:
        return self.client.call(event, data, namespace=NAMESPACE, timeout=20)

    def ok(self, event: str, data: Any = None) -> dict:
        ack = self.call(event, data)
        assert ack["ok"] is True, ack
        return ack

    def wait_for(self, event: str, predicate: Callable[[Any], bool] = bool, timeout=20) -> Any:
        """The first pushed ``event`` payload matching ``predicate`` (fails after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for payload in self.received[event]:
                    if predicate(payload):
                        return payload
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event!r} matching after {timeout}s: {self.received}")
                self.changed.wait(left)

    def disconnect(self) -> None:
        self.client.disconnect()


def connect_peer(base: str, token: str | None) -> Peer:
    client = socketio_client.Client(reconnection=False)
    peer = Peer(client)

    def recorder(event: str):
        def record(payload=None):
            with peer.changed:
                peer.received[event].append(payload)
                peer.changed.notify_all()

        return record

    for event in PEER_EVENTS:
        client.on(event, recorder(event), namespace=NAMESPACE)
    auth = {"token": token} if token is not None else None
    client.connect(
        base, namespaces=[NAMESPACE], auth=auth, transports=["websocket"], wait_timeout=15
    )
    return peer


@pytest.fixture
def peers() -> Iterator[Callable[[str, str | None], Peer]]:
    made: list[Peer] = []

    def connect(base: str, token: str | None) -> Peer:
        peer = connect_peer(base, token)
        made.append(peer)
        return peer

    yield connect
    for peer in made:
        if peer.client.connected:
            peer.disconnect()


REQUEST = {
    "reason": "血压控制不佳伴胸闷，请心内科会诊",
    "urgency": "urgent",
    "department": "cardiology",
}


def open_and_accept(doctor: Peer, specialist: Peer, encounter_id: int) -> int:
    """The doctor requests, the specialist accepts; both are in the room. Returns the id."""
    requested = doctor.ok("request", {"encounter_id": encounter_id, **REQUEST})
    consultation_id = requested["consultation"]["id"]
    specialist.ok("accept", {"consultation_id": consultation_id})
    return consultation_id
