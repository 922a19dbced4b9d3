"""Shared fixtures: one app per database backend, a database per test copied from a template.

Every database test runs on SQLite and, when ``GPASSIST_TEST_POSTGRES_URL`` is set, on PostgreSQL
too (the ``backend`` parameter). Per backend and per test process, built on first use
(``backend_state``):

- a *template* database: the tables, the mini county and one user per role with a live token;
- the *app* (``create_app``: models, blueprints, the OpenAPI document).

Per test, ``database_url`` is a fresh copy of the template (a copied SQLite file, or PostgreSQL
``CREATE DATABASE … TEMPLATE`` made ahead by a thread) and ``app`` points that one app at it, so a
test may commit, run threads or start a CLI on the same database; its settings changes are undone
afterwards.
``db_session`` is cheaper still for service tests that only flush: a session on a shared copy,
inside a transaction that is rolled back. ``empty_database_url`` is an empty database for tests
that build their own (migrations, ``load-clinics``, server processes). With
``GPASSIST_REQUIRE_SERVICES=1`` (CI) a missing PostgreSQL or Redis fails the run instead of
skipping.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import shutil
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.orm import Session

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.passwords import hash_password
from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Department, Facility
from gpassist.db import Database
from gpassist.demo.common import SeedResult

ROOT = Path(__file__).resolve().parent.parent
MINI_COUNTY = ROOT / "tests" / "data" / "mini-county"
DEMO_COUNTY = ROOT / "clinics" / "demo-county"

POSTGRES_URL = os.environ.get("GPASSIST_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("GPASSIST_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("GPASSIST_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgresql"]
# pytest-xdist runs one process per worker; each keeps its own templates and databases.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

PASSWORD = "correct horse battery staple"
TEST_SECRET_KEY = "test-only-secret"

settings.register_profile(
    "gpassist",
    max_examples=int(os.environ.get("GPASSIST_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("gpassist")


def service_unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (GPASSIST_REQUIRE_SERVICES=1: CI must run this test)")
    pytest.skip(reason)


# --- database servers ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        service_unavailable("PostgreSQL tests need GPASSIST_TEST_POSTGRES_URL")
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any connection failure means the service is absent
        service_unavailable(f"PostgreSQL at {make_url(POSTGRES_URL).host} is not answering: {exc}")
    finally:
        engine.dispose()
    return POSTGRES_URL


def with_search_path(url: str, schema: str) -> str:
    return (
        make_url(url)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


class PostgresSchema:
    """A throwaway schema in the test database, dropped afterwards."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"t_{uuid.uuid4().hex[:16]}"
        self.url = with_search_path(server_url, self.name)

    def __enter__(self) -> PostgresSchema:
        self._admin(f'CREATE SCHEMA "{self.name}"')
        return self

    def __exit__(self, *exc) -> None:
        self._admin(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(statement))
        finally:
            engine.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    if not REDIS_URL:
        service_unavailable("Redis tests need GPASSIST_TEST_REDIS_URL")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis is not answering: {exc}")
    return REDIS_URL


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def mini_registry():
    return read_registry(MINI_COUNTY)


def build_world(database: Database, registry) -> None:
    metadata.create_all(database.engine)
    with database.transaction(actor="test") as session:
        apply_registry(session, registry)


# --- templates and per-test copies -----------------------------------------------------------


def without_waiting_for_disk(url: str) -> str:
    """``url`` with ``synchronous_commit=off``: a commit returns before its WAL reaches the disk.

    Only for the test databases: what a test checks is what the server holds, and the server
    itself is never killed; on this machine most of a PostgreSQL test's time was the disk.
    """
    return (
        make_url(url)
        .update_query_dict({"options": "-csynchronous_commit=off"})
        .render_as_string(hide_password=False)
    )


class PostgresDatabases:
    """Whole databases on the test server, made and dropped over one admin connection."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.admin: Engine = create_engine(
            without_waiting_for_disk(server_url), isolation_level="AUTOCOMMIT"
        )
        self.made: list[str] = []

    def url(self, name: str) -> str:
        url = make_url(self.server_url).set(database=name).render_as_string(hide_password=False)
        return without_waiting_for_disk(url)

    def create(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        self.made.append(name)
        return self.url(name)

    def drop(self, name: str) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.made.remove(name)

    def close(self) -> None:
        for name in list(self.made):
            self.drop(name)
        self.admin.dispose()


class CopiesAhead:
    """Copies of a PostgreSQL template made, and dropped, by a thread while the tests run.

    Creating a database is mostly the server's disk: made ahead, a test finds one waiting.
    """

    SPARE = 2

    def __init__(self, postgres: PostgresDatabases, template: str) -> None:
        self.postgres = postgres
        self.template = template
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.jobs: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._work, name="template-copies", daemon=True)
        self.thread.start()
        for _ in range(self.SPARE):
            self._order_one()

    def take(self) -> str:
        """The name of a fresh copy (and another one ordered in its place)."""
        self._order_one()
        made = self.ready.get(timeout=120)
        if isinstance(made, BaseException):
            raise made
        return made

    def give_back(self, name: str) -> None:
        self.jobs.put(("drop", name))

    def close(self) -> None:
        self.jobs.put(None)
        self.thread.join(timeout=120)

    def _order_one(self) -> None:
        self.jobs.put(("create", f"gpt_{WORKER}_{uuid.uuid4().hex[:12]}"))

    def _work(self) -> None:
        while (job := self.jobs.get()) is not None:
            kind, name = job
            try:
                if kind == "create":
                    self.postgres.create(name, template=self.template)
                    self.ready.put(name)
                else:
                    self.postgres.drop(name)
            except Exception as exc:  # handed to the test that waits for this copy
                self.ready.put(exc)


@dataclass
class Template:
    """A prepared database (mini county, users, tokens) that each test gets a copy of."""

    location: str  # the SQLite file, or the PostgreSQL database name
    users: dict[str, TestUser]
    postgres: PostgresDatabases | None = None
    copies: CopiesAhead | None = None

    def __post_init__(self) -> None:
        if self.postgres is not None:
            self.copies = CopiesAhead(self.postgres, self.location)

    def copy(self, folder: Path) -> tuple[str, str]:
        """A new database holding what the template holds: (url, name to drop afterwards)."""
        if self.postgres is None or self.copies is None:
            target = folder / "gpassist.db"
            shutil.copyfile(self.location, target)
            return f"sqlite:///{target}", ""
        name = self.copies.take()
        return self.postgres.url(name), name

    def discard(self, name: str) -> None:
        if self.copies is not None and name:
            self.copies.give_back(name)

    def close(self) -> None:
        if self.copies is not None:
            self.copies.close()


def prepare_template(database: Database, registry) -> dict[str, TestUser]:
    build_world(database, registry)
    out = {}
    with database.transaction(actor="test") as session:
        for username, user in make_users(session).items():
            # Long enough for a whole run; tests of expiry issue their own tokens.
            issued = issue_token(session, user, ttl=dt.timedelta(hours=12))
            out[username] = TestUser(user.id, username, user.role, issued.token)
    return out


class Backend:
    """What one backend's tests share in this process, each piece built on first use."""

    def __init__(self, name: str, server_url: str | None, folder: Path, registry) -> None:
        self.name = name
        self.folder = folder
        self.registry = registry
        self.postgres = PostgresDatabases(server_url) if server_url else None
        self._template: Template | None = None
        self._app: Flask | None = None
        self._shared: Database | None = None
        self._demo: tuple[Database, SeedResult] | None = None

    @property
    def template(self) -> Template:
        if self._template is None:
            self._template = self._make_template()
        return self._template

    def _make_template(self) -> Template:
        if self.postgres is None:
            path = self.folder / "template.db"
            database = Database(f"sqlite:///{path}")
            users = prepare_template(database, self.registry)
            database.dispose()
            with sqlite3.connect(path) as connection:  # fold the WAL in: the copy is one file
                connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return Template(str(path), users)
        name = f"gptpl_{WORKER}_{uuid.uuid4().hex[:8]}"
        database = Database(self.postgres.create(name))
        try:
            users = prepare_template(database, self.registry)
        finally:
            database.dispose()  # a template database must have no connections
        return Template(name, users, self.postgres)

    @property
    def app(self) -> Flask:
        """This backend's app, built once; the ``app`` fixture points it at each test's copy."""
        if self._app is None:
            from gpassist.extensions import socketio

            self._app = create_app(
                {
                    "DATABASE_URL": "sqlite://",  # replaced per test
                    "INSTANCE_PATH": str(self.folder / "instance"),
                    "SECRET_KEY": TEST_SECRET_KEY,
                    "LOG_LEVEL": "WARNING",
                    # a scheduler thread would outlive the test whose database it reads
                    "CONSULT_SCHEDULER_INTERVAL_SECONDS": 0,
                }
            )
            self._app.extensions["gpassist.db"].dispose()
            # Flask-SocketIO keeps one server, of the last init_app, on the shared extension
            # object: remember this app's so each test can put it back.
            self._app.extensions[SOCKETIO_SERVER] = socketio.server
        return self._app

    @property
    def rollback_database(self) -> Database:
        """One copy of the template for the rolled-back ``db_session`` tests."""
        if self._shared is None:
            url, _ = self.template.copy(self._subfolder("shared"))
            self._shared = Database(url)
        return self._shared

    @property
    def demo(self) -> tuple[Database, SeedResult]:
        """The demo county seeded once (``DEMO_PATIENTS`` patients) on a copy of the template."""
        if self._demo is None:
            import gpassist.auth.service
            from gpassist.demo.chronic import DEMO_TODAY
            from gpassist.demo.seed import seed_demo

            url, _ = self.template.copy(self._subfolder("demo"))
            database = Database(url)
            with pytest.MonkeyPatch.context() as patch:
                # argon2 is deliberately slow; the demo's ~90 users share one hash here.
                patch.setattr(gpassist.auth.service, "hash_password", lambda _p: password_hash())
                with database.transaction(actor="test") as session:
                    apply_registry(session, read_registry(DEMO_COUNTY))
                    # Dated for the snapshot day, so the demo tests see the planned story.
                    result = seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
            self._demo = (database, result)
        return self._demo

    def _subfolder(self, name: str) -> Path:
        folder = self.folder / name
        folder.mkdir(exist_ok=True)
        return folder

    def close(self) -> None:
        for database in (self._shared, self._demo and self._demo[0]):
            if database:
                database.dispose()
        if self._template is not None:
            self._template.close()
        if self.postgres is not None:
            self.postgres.close()


SOCKETIO_SERVER = "gpassist.test.socketio_server"
DEMO_PATIENTS = 400


@pytest.fixture(scope="session")
def _backends() -> Iterator[dict[str, Backend]]:
    made: dict[str, Backend] = {}
    yield made
    for state in made.values():
        state.close()


@pytest.fixture
def backend_state(backend, request, _backends, tmp_path_factory, mini_registry) -> Backend:
    """What this test's backend shares across tests (template, app, demo county)."""
    if backend not in _backends:
        server = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
        folder = tmp_path_factory.mktemp(backend)
        _backends[backend] = Backend(backend, server, folder, mini_registry)
    return _backends[backend]


@pytest.fixture
def database_url(backend_state, tmp_path) -> Iterator[str]:
    """This test's own copy of the template database: the one ``app`` uses."""
    url, name = backend_state.template.copy(tmp_path)
    yield url
    backend_state.template.discard(name)


@pytest.fixture
def empty_database_url(backend, tmp_path, request) -> Iterator[str]:
    """An empty database of its own for this test: a new SQLite file or PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    with PostgresSchema(server) as schema:
        yield schema.url


@pytest.fixture
def app(backend_state, database_url) -> Iterator[Flask]:
    """The backend's app on this test's own copy of the mini county (users and tokens included).

    Settings a test changes in ``app.config`` are put back afterwards.
    """
    from gpassist.auth.ratelimit import login_rate_limit
    from gpassist.extensions import socketio

    application = backend_state.app
    login_rate_limit(application).reset()  # login attempts counted per address: not across tests
    saved_config = dict(application.config)
    database = Database(database_url)
    application.extensions["gpassist.db"] = database
    application.config["DATABASE_URL"] = database_url
    socketio.server = application.extensions[SOCKETIO_SERVER]
    try:
        yield application
    finally:
        database.dispose()
        application.config.clear()
        application.config.update(saved_config)


@pytest.fixture
def database(app) -> Database:
    return app.extensions["gpassist.db"]


def rolled_back_session(database: Database) -> Iterator[Session]:
    """A session on ``database`` inside a transaction that is rolled back afterwards."""
    connection = database.engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    session.info["actor"] = "test"
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def db_session(backend_state) -> Iterator[Session]:
    """A session on the mini county whose every change is rolled back at the end of the test."""
    yield from rolled_back_session(backend_state.rollback_database)


@pytest.fixture
def seeded_demo(backend_state) -> Iterator[tuple[Session, SeedResult]]:
    """(session, seed result) on the seeded demo county; the test's changes are rolled back."""
    database, result = backend_state.demo
    for session in rolled_back_session(database):
        yield session, result


# --- users and clients -----------------------------------------------------------------------

_PASSWORD_HASH: list[str] = []


def password_hash() -> str:
    # argon2 is deliberately slow; hash the test password once and reuse it for every user.
    if not _PASSWORD_HASH:
        _PASSWORD_HASH.append(hash_password(PASSWORD))
    return _PASSWORD_HASH[0]


USERS = {
    "doctor_a": (Role.village_doctor, "VA", None),
    "doctor_a2": (Role.village_doctor, "VA", None),
    "doctor_b": (Role.village_doctor, "VB", None),
    "specialist": (Role.specialist, None, ("CH", "cardiology")),
    "pharmacist": (Role.pharmacist, None, None),
    "admin": (Role.admin, None, None),
}


def make_users(session: Session) -> dict[str, User]:
    users = {}
    for username, (role, clinic, department) in USERS.items():
        user = User(
            username=username,
            display_name=username.replace("_", " ").title(),
            password_hash=password_hash(),
            role=role,
        )
        if clinic:
            user.clinic_id = session.query(Facility.id).filter_by(code=clinic).scalar()
        if department:
            user.department_id = (
                session.query(Department.id)
                .join(Facility, Department.facility_id == Facility.id)
                .filter(Facility.code == department[0], Department.code == department[1])
                .scalar()
            )
        session.add(user)
        users[username] = user
    session.flush()
    return users


@dataclass
class TestUser:
    id: int
    username: str
    role: Role
    token: str


@pytest.fixture
def users(database, backend_state) -> dict[str, TestUser]:
    """One user per role (two doctors at clinic VA, one at VB), each with a live token."""
    return backend_state.template.users


class ApiClient:
    """The Flask test client with a bearer token chosen per call: ``api.get(url, as_="admin")``."""

    def __init__(self, client, users: dict[str, TestUser]) -> None:
        self.client = client
        self.users = users

    def _call(self, method: str, url: str, as_: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if as_ is not None:
            headers["Authorization"] = f"Bearer {self.users[as_].token}"
        return self.client.open(url, method=method, headers=headers, **kwargs)

    def get(self, url: str, as_: str | None = None, **kw):
        return self._call("GET", url, as_, **kw)

    def post(self, url: str, as_: str | None = None, **kw):
        return self._call("POST", url, as_, **kw)

    def patch(self, url: str, as_: str | None = None, **kw):
        return self._call("PATCH", url, as_, **kw)

    def delete(self, url: str, as_: str | None = None, **kw):
        return self._call("DELETE", url, as_, **kw)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client, users) -> ApiClient:
    return ApiClient(client, users)


# --- running in parallel (pytest-xdist) ------------------------------------------------------


# Modules whose tests share nothing expensive and are many: spread test by test.
SPREAD_MODULES = frozenset({"tests/test_api_fuzz.py"})


def xdist_scope(nodeid: str) -> str:
    """The unit a worker takes whole: a module, the demo county's modules, or one fuzz test.

    A module's tests share its module-scoped fixtures (real servers, trained models); the demo
    modules share the seeded demo county; the browser tests share one server and one Chromium.
    """
    module = nodeid.split("::")[0]
    if module in SPREAD_MODULES:
        return nodeid
    if module.startswith("tests/browser/"):
        return "tests/browser"
    if Path(module).name.startswith("test_demo_"):
        return "demo"
    return module


def run_order(item) -> int:
    """Longest-running scopes first, so no worker is left with a long one at the end: the demo
    county (seeded once, then many tests), the real-server and browser modules, the rest, and
    the fuzz last (many small units that fill the gaps)."""
    scope = xdist_scope(item.nodeid)
    if scope == "demo":
        return 0
    if scope == "tests/browser" or "slow" in item.keywords:
        return 1
    return 3 if item.nodeid.split("::")[0] in SPREAD_MODULES else 2


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items) -> None:
    items.sort(key=run_order)  # stable: each module keeps its own order


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    # xdist's own loadgroup does not group under pytest 9 (the renamed node ids are not seen),
    # so the grouping is by node id here, with its load-by-scope scheduler.
    from xdist.scheduler import LoadScopeScheduling

    class ScopeScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    config.option.loadscopereorder = False  # keep run_order, not "most tests first"
    return ScopeScheduling(config, log)


# --- reporting -------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests ran on each backend, so a skipped PostgreSQL or Redis is visible."""
    counts: Counter[str] = Counter()
    for report in terminalreporter.stats.get("passed", []):
        if report.when != "call":
            continue
        for backend in BACKENDS:
            if f"[{backend}" in report.nodeid or f"-{backend}]" in report.nodeid:
                counts[backend] += 1
        if "redis" in report.keywords:
            counts["redis"] += 1
    terminalreporter.write_sep("-", "tests passed per service")
    for name in (*BACKENDS, "redis"):
        terminalreporter.write_line(f"{name}: {counts[name]} passed")
