"""Shared fixtures: the app on each database backend, users per role, an API client.

Every database test runs on SQLite and, when ``GPASSIST_TEST_POSTGRES_URL`` is set, on PostgreSQL
too (the ``backend`` parameter). Isolation: ``app`` gets a fresh SQLite file or a fresh PostgreSQL
schema per test (for tests that commit); ``db_session`` runs inside a transaction that is rolled
back (for service tests that only flush). With ``GPASSIST_REQUIRE_SERVICES=1`` (CI) a missing
PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.passwords import hash_password
from gpassist.auth.service import issue_token
from gpassist.auth.tables import Role, User
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Department, Facility
from gpassist.db import Database

ROOT = Path(__file__).resolve().parent.parent
MINI_COUNTY = ROOT / "tests" / "data" / "mini-county"
DEMO_COUNTY = ROOT / "clinics" / "demo-county"

POSTGRES_URL = os.environ.get("GPASSIST_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("GPASSIST_TEST_REDIS_URL")
REQUIRE_SERVICES = os.environ.get("GPASSIST_REQUIRE_SERVICES") == "1"
BACKENDS = ["sqlite", "postgresql"]

PASSWORD = "correct horse battery staple"

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


# --- databases -------------------------------------------------------------------------------


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


@pytest.fixture
def database_url(backend, tmp_path, request) -> Iterator[str]:
    """An empty database of its own for this test: a new SQLite file or PostgreSQL schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'gpassist.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    with PostgresSchema(server) as schema:
        yield schema.url


@pytest.fixture(scope="session")
def mini_registry():
    return read_registry(MINI_COUNTY)


def build_world(database: Database, registry) -> None:
    metadata.create_all(database.engine)
    with database.transaction(actor="test") as session:
        apply_registry(session, registry)


@pytest.fixture
def app(database_url, tmp_path, mini_registry):
    """The app on a fresh database holding the mini county."""
    application = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-only-secret",
            "LOG_LEVEL": "WARNING",
        }
    )
    database = application.extensions["gpassist.db"]
    build_world(database, mini_registry)
    yield application
    database.dispose()


@pytest.fixture
def database(app) -> Database:
    return app.extensions["gpassist.db"]


@pytest.fixture(scope="session")
def _shared_databases(tmp_path_factory, mini_registry) -> Iterator[dict[str, Database]]:
    """One prepared database per backend for the rolled-back ``db_session`` tests."""
    made: dict[str, Database] = {}
    schemas: list[PostgresSchema] = []

    def get(backend: str, server_url: str | None) -> Database:
        if backend not in made:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('shared') / 'shared.db'}"
            else:
                schema = PostgresSchema(server_url).__enter__()
                schemas.append(schema)
                url = schema.url
            made[backend] = Database(url)
            build_world(made[backend], mini_registry)
            with made[backend].transaction(actor="test") as session:
                make_users(session)
        return made[backend]

    yield get  # type: ignore[misc]
    for db in made.values():
        db.dispose()
    for schema in schemas:
        schema.__exit__()


@pytest.fixture
def db_session(backend, request, _shared_databases) -> Iterator[Session]:
    """A session whose every change is rolled back at the end of the test."""
    server = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    database = _shared_databases(backend, server)
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
def users(database) -> dict[str, TestUser]:
    """One user per role (two doctors at clinic VA, one at VB), each with a live token."""
    import datetime as dt

    out = {}
    with database.transaction(actor="test") as session:
        for username, user in make_users(session).items():
            issued = issue_token(session, user, ttl=dt.timedelta(hours=1))
            out[username] = TestUser(user.id, username, user.role, issued.token)
    return out


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
