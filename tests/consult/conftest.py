"""Consultation fixtures: a prepared database, Socket.IO peers in-process or against real servers.

- In-process (most tests): ``cast`` adds to the ``app``'s database a second cardiologist and an
  encounter per village doctor; ``sockets(token)`` connects Flask-SocketIO's test client to
  ``/consult``. Delivery is synchronous: what the server pushed is there when the ack returns.
- Real servers (the JS client, the restart, the Redis queue): ``world`` is a prepared database
  of a test's own; ``shared_world`` one per module and backend, with ``serve`` running servers for
  the whole module; ``start_server`` one for a test; ``peers`` python-socketio clients.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import socketio as socketio_client

from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Department, Facility
from gpassist.db import Database
from gpassist.extensions import socketio
from gpassist.patients.schemas import EncounterIn, PatientIn
from gpassist.patients.service import create_patient, record_encounter
from tests.conftest import BACKENDS, PostgresSchema, build_world, make_users, password_hash
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
def world(empty_database_url, mini_registry) -> World:
    return prepare_world(empty_database_url, mini_registry)


@pytest.fixture(scope="module", params=BACKENDS)
def shared_world(request, tmp_path_factory, mini_registry) -> Iterator[World]:
    """A prepared database for a whole module's servers; tests add what they change
    (``new_encounter``, ``new_token``) instead of using up the shared users' tokens."""
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("shared-world")
        yield prepare_world(f"sqlite:///{folder / 'gpassist.db'}", mini_registry)
        return
    with PostgresSchema(request.getfixturevalue("postgres_url")) as schema:
        yield prepare_world(schema.url, mini_registry)


def new_encounter(world: World, doctor: str) -> int:
    """Another encounter of ``doctor``'s, for a consultation of a test's own."""
    database = Database(world.database_url)
    try:
        with database.transaction(actor="test") as session:
            return add_encounter(session, session.get(User, world.ids[doctor]))
    finally:
        database.dispose()


def new_token(world: World, name: str) -> str:
    """Another live token of user ``name``, for a test that revokes it."""
    database = Database(world.database_url)
    try:
        with database.transaction(actor="test") as session:
            user = session.get(User, world.ids[name])
            return issue_token(session, user, ttl=dt.timedelta(hours=2)).token
    finally:
        database.dispose()


# --- in-process: the app's database and Flask-SocketIO's test client ---------------------------


@pytest.fixture
def cast(app, users, database) -> World:
    """The ``app``'s users and tokens, a second cardiologist, an encounter per village doctor.

    The app starts no scheduler or sweep thread: tests tick the scheduler themselves.
    """
    app.config["CONSULT_SCHEDULER_INTERVAL_SECONDS"] = 0
    with database.transaction(actor="test") as session:
        second = add_second_cardiologist(session)
        second_token = issue_token(session, second, ttl=dt.timedelta(hours=2)).token
        encounters = {
            name: add_encounter(session, session.get(User, users[name].id))
            for name in ("doctor_a", "doctor_b")
        }
        second_id = second.id
    ids = {name: user.id for name, user in users.items()} | {"specialist2": second_id}
    tokens = {name: user.token for name, user in users.items()} | {"specialist2": second_token}
    return World(app.config["DATABASE_URL"], ids, tokens, encounters)


class SocketPeer:
    """Flask-SocketIO's test client on /consult, with the same calls as a real ``Peer``."""

    def __init__(self, client) -> None:
        self.client = client
        self._received: dict[str, list[Any]] = defaultdict(list)

    @property
    def connected(self) -> bool:
        return self.client.is_connected(NAMESPACE)

    @property
    def received(self) -> dict[str, list[Any]]:
        """Every event pushed to this socket so far, by name (a closed socket gets no more)."""
        packets = self.client.get_received(NAMESPACE) if self.connected else []
        for packet in packets:
            name, args = packet["name"], packet["args"]
            if name in ("message", "json"):  # the test client does not wrap these in a list
                self._received[name].append(args)
            else:
                self._received[name].append(args[0] if args else None)
        return self._received

    def call(self, event: str, data: Any = None) -> dict:
        args = () if data is None else (data,)
        return self.client.emit(event, *args, namespace=NAMESPACE, callback=True)

    def ok(self, event: str, data: Any = None) -> dict:
        ack = self.call(event, data)
        assert ack["ok"] is True, ack
        return ack

    def wait_for(self, event: str, predicate: Callable[[Any], bool] = bool) -> Any:
        """The first pushed ``event`` payload matching ``predicate``; in-process it is either
        there already or was never sent."""
        for payload in self.received[event]:
            if predicate(payload):
                return payload
        raise AssertionError(f"no {event!r} matching: {dict(self.received)}")

    def disconnect(self) -> None:
        self.client.disconnect(namespace=NAMESPACE)


@pytest.fixture
def sockets(app) -> Iterator[Callable[[str | None], SocketPeer]]:
    """``sockets(token)``: a connected (or refused) test client on /consult."""
    made: list[SocketPeer] = []

    def connect(token: str | None) -> SocketPeer:
        auth = {"token": token} if token is not None else None
        peer = SocketPeer(socketio.test_client(app, namespace=NAMESPACE, auth=auth))
        made.append(peer)
        return peer

    yield connect
    for peer in made:
        if peer.connected:
            peer.disconnect()


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


def queue_channel() -> str:
    """A Redis channel of this test run's own: parallel runs sharing Redis must not hear it."""
    return f"gpassist-test-{uuid.uuid4().hex[:12]}"


@contextmanager
def serve(world: World, *instances: Path, **env: str) -> Iterator[list[LiveServer]]:
    """A server on ``world`` per instance folder, started side by side, until the block ends
    (no scheduler unless ``env`` asks for one)."""
    env.setdefault("GPASSIST_CONSULT_SCHEDULER_INTERVAL_SECONDS", "0")
    servers = [LiveServer(world, instance, **env) for instance in instances]
    try:
        with ThreadPoolExecutor(len(servers)) as pool:
            list(pool.map(LiveServer.start, servers))
        yield servers
    finally:
        for server in servers:
            server.stop()


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
        close_client(self.client)


def close_client(client: socketio_client.Client) -> None:
    """Disconnect without websocket-client's wait of up to 3 s for the server's close frame,
    which the client's own read thread has usually taken already (so the wait runs out)."""
    ws = getattr(client.eio, "ws", None)
    if ws is not None:
        close = ws.close
        ws.close = lambda *args, **kwargs: close(*args, **{**kwargs, "timeout": 0.2})
    client.disconnect()


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
