"""Per-address limit on login attempts (API token and login page together), on top of the
per-account lockout. A limit of 3 in the test config: no sleeping, no clock."""

from __future__ import annotations

import re
import uuid

import pytest

from gpassist import create_app
from gpassist.auth.ratelimit import login_rate_limit
from tests.conftest import PASSWORD, build_world, make_users


def app_with(database_url, tmp_path, **settings):
    """An app of its own, for settings read when the app is made (storage, proxies)."""
    return create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "test-only-secret",
            "LOG_LEVEL": "WARNING",
            "LOGIN_RATE_LIMIT": 3,
            **settings,
        }
    )


def with_users(app, mini_registry):
    database = app.extensions["gpassist.db"]
    build_world(database, mini_registry)
    with database.transaction(actor="test") as session:
        make_users(session)
    return database


@pytest.fixture
def limited_app(app, users):
    """The shared app with a limit of 3 attempts a minute (put back after the test)."""
    app.config["LOGIN_RATE_LIMIT"] = 3
    return app


def token_attempt(app, address: str, password: str = "not the password"):
    return app.test_client().post(
        "/api/v1/auth/token",
        json={"username": "doctor_a", "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def page_attempt(app, address: str, password: str = "not the password"):
    client = app.test_client()
    form = client.get("/login", environ_base={"REMOTE_ADDR": address}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    return client.post(
        "/login",
        data={"username": "doctor_b", "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def test_an_address_over_the_limit_gets_429_with_retry_after(limited_app):
    statuses = [token_attempt(limited_app, "10.1.1.1").status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    refused = token_attempt(limited_app, "10.1.1.1", PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["type"] == "/problems/too-many-requests"
    wait = int(refused.headers["Retry-After"])
    assert 1 <= wait <= 60 and problem["retry_after_seconds"] == wait
    # Another address is not held back, and three failures did not lock the account (five do).
    assert token_attempt(limited_app, "10.1.1.2", PASSWORD).status_code == 201


def test_the_login_page_shares_the_count_and_shows_a_message(limited_app):
    assert token_attempt(limited_app, "10.2.2.2").status_code == 401
    assert page_attempt(limited_app, "10.2.2.2").status_code == 401
    assert token_attempt(limited_app, "10.2.2.2").status_code == 401
    page = page_attempt(limited_app, "10.2.2.2", PASSWORD)
    assert page.status_code == 429 and page.headers["Retry-After"].isdigit()
    assert "登录尝试过于频繁" in page.text  # the login form again, with the message


def test_reset_clears_the_counts(limited_app):
    for _ in range(3):
        token_attempt(limited_app, "10.3.3.3")
    assert token_attempt(limited_app, "10.3.3.3").status_code == 429
    login_rate_limit(limited_app).reset()
    assert token_attempt(limited_app, "10.3.3.3", PASSWORD).status_code == 201


def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    empty_database_url, tmp_path, mini_registry
):
    app = app_with(empty_database_url, tmp_path, TRUSTED_PROXIES=1)
    database = with_users(app, mini_registry)
    client = app.test_client()

    def attempt(client_address: str):
        return client.post(
            "/api/v1/auth/token",
            json={"username": "doctor_a", "password": "not the password"},
            headers={"X-Forwarded-For": client_address},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},  # nginx
        )

    assert [attempt("10.4.4.4").status_code for _ in range(4)] == [401, 401, 401, 429]
    assert attempt("10.4.4.5").status_code == 401  # another clinic behind the same proxy
    database.dispose()


def test_the_default_limit_leaves_ordinary_logins_alone(app, users):
    """Many tests log in from 127.0.0.1: 60 a minute by default, and the count starts afresh
    in each test (the ``app`` fixture resets it)."""
    limit = login_rate_limit(app)
    for _ in range(58):
        assert limit.hit("127.0.0.1", 60, 60).allowed
    response = app.test_client().post(
        "/api/v1/auth/token", json={"username": "admin", "password": PASSWORD}
    )
    assert response.status_code == 201


@pytest.mark.redis
def test_processes_sharing_redis_share_the_count(
    redis_url, empty_database_url, tmp_path, mini_registry
):
    first = app_with(empty_database_url, tmp_path, RATE_LIMIT_STORAGE=redis_url)
    build_world(first.extensions["gpassist.db"], mini_registry)
    second = app_with(empty_database_url, tmp_path, RATE_LIMIT_STORAGE=redis_url)
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    assert token_attempt(first, address).status_code == 401
    assert token_attempt(second, address).status_code == 401
    assert token_attempt(first, address).status_code == 401
    assert token_attempt(second, address).status_code == 429
    for app in (first, second):
        app.extensions["gpassist.db"].dispose()


def test_an_unreachable_redis_skips_the_limit_and_logins_go_on(
    empty_database_url, tmp_path, mini_registry
):
    app = app_with(empty_database_url, tmp_path, RATE_LIMIT_STORAGE="redis://127.0.0.1:9/0")
    database = with_users(app, mini_registry)
    statuses = [token_attempt(app, "10.5.5.5", PASSWORD).status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 201]
    database.dispose()
