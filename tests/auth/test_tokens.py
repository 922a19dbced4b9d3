"""Logging in, tokens that expire or are revoked, throttling, and admin recovery."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from gpassist.auth.service import hash_token, issue_token
from gpassist.auth.tables import ApiToken, User
from gpassist.db import utcnow
from tests.conftest import PASSWORD


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/auth/token", json={"username": username, "password": password})


def test_login_gives_a_token_that_works_and_expires_in_12_hours(client, users):
    response = login(client, "doctor_a")
    assert response.status_code == 201
    body = response.get_json()
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert expires.utcoffset() == dt.timedelta(hours=8)  # shown in Asia/Shanghai
    assert abs((expires - utcnow()) - dt.timedelta(hours=12)) < dt.timedelta(minutes=1)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.get_json()["username"] == "doctor_a"
    assert me.get_json()["clinic_code"] == "VA"


def test_token_is_stored_only_as_a_hash(client, users, database):
    token = login(client, "admin").get_json()["access_token"]
    with database.sessionmaker() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
    assert hash_token(token) in stored
    assert token not in stored


def test_wrong_password_is_401_problem(client, users):
    response = login(client, "doctor_a", "wrong password!")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "/problems/unauthorized"
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_api_without_or_with_bad_token_is_401(client, users):
    assert client.get("/api/v1/patients").status_code == 401
    bad = client.get("/api/v1/patients", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    basic = client.get("/api/v1/patients", headers={"Authorization": "Basic YWRtaW46eA=="})
    assert basic.status_code == 401


def test_expired_token_is_401(client, users, database):
    with database.transaction() as session:
        user = session.get(User, users["doctor_a"].id)
        issued = issue_token(
            session,
            user,
            ttl=dt.timedelta(hours=12),
            now=utcnow() - dt.timedelta(hours=12, seconds=1),
        )
    response = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 401


def test_revoked_token_is_401_and_other_tokens_live_on(client, api, users):
    token = login(client, "doctor_a").get_json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert client.delete("/api/v1/auth/token", headers=auth).status_code == 204
    assert client.get("/api/v1/auth/me", headers=auth).status_code == 401
    assert api.get("/api/v1/auth/me", as_="doctor_a").status_code == 200


def test_repeated_failures_throttle_even_the_right_password(client, api, users, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [login(client, "doctor_b", "wrong password!").status_code for _ in range(limit)]
    assert statuses == [401] * (limit - 1) + [429]
    locked = login(client, "doctor_b")
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert locked.get_json()["retry_after_seconds"] > 0
    unlock = api.post(f"/api/v1/users/{users['doctor_b'].id}/unlock", as_="admin")
    assert unlock.get_json() == {"username": "doctor_b", "was_locked": True}
    assert login(client, "doctor_b").status_code == 201


def test_unknown_usernames_are_throttled_too(client, users, app):
    limit = app.config["LOGIN_MAX_FAILURES"]
    statuses = [login(client, "nobody", "whatever-pass").status_code for _ in range(limit + 1)]
    assert statuses[-1] == 429


def test_admin_reset_password_ends_old_sessions(client, api, users):
    old = login(client, "doctor_a").get_json()["access_token"]
    response = api.post(
        f"/api/v1/users/{users['doctor_a'].id}/password",
        as_="admin",
        json={"new_password": "a brand new passphrase"},
    )
    assert response.status_code == 200
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    )
    assert login(client, "doctor_a").status_code == 401
    assert login(client, "doctor_a", "a brand new passphrase").status_code == 201


def test_only_admins_manage_users(api, users):
    for role in ("doctor_a", "specialist", "pharmacist"):
        assert api.get("/api/v1/users", as_=role).status_code == 403
        reset = api.post(
            f"/api/v1/users/{users['admin'].id}/password", as_=role, json={"new_password": "x" * 12}
        )
        assert reset.status_code == 403


def test_admin_creates_users_bound_to_clinic_or_department(api, client, users):
    doctor = api.post(
        "/api/v1/users",
        as_="admin",
        json={
            "username": "newdoc",
            "display_name": "新村医",
            "password": "long enough password",
            "role": "village_doctor",
            "clinic_code": "VC",
        },
    )
    assert doctor.status_code == 201
    assert doctor.get_json()["clinic_code"] == "VC"
    assert login(client, "newdoc", "long enough password").status_code == 201
    unbound = api.post(
        "/api/v1/users",
        as_="admin",
        json={
            "username": "lostdoc",
            "display_name": "x",
            "password": "long enough password",
            "role": "specialist",
        },
    )
    assert unbound.status_code == 422
    assert unbound.get_json()["errors"][0]["field"] == "body.department"
    short = api.post(
        "/api/v1/users",
        as_="admin",
        json={"username": "shorty", "display_name": "x", "password": "short", "role": "admin"},
    )
    assert short.status_code == 422
    taken = api.post(
        "/api/v1/users",
        as_="admin",
        json={"username": "doctor_a", "display_name": "x", "password": "x" * 12, "role": "admin"},
    )
    assert taken.status_code == 409


def test_deactivated_user_loses_access(client, api, users, database):
    with database.transaction() as session:
        session.get(User, users["doctor_a"].id).active = False
    assert api.get("/api/v1/auth/me", as_="doctor_a").status_code == 401
    assert login(client, "doctor_a").status_code == 401


def test_concurrent_guesses_cannot_outrun_the_throttle(app, users):
    """A burst of wrong passwords at once is counted one by one: the account locks, and the
    right password is refused afterwards."""
    limit = app.config["LOGIN_MAX_FAILURES"]
    burst = limit * 3

    def guess(_):
        return login(app.test_client(), "doctor_b", "wrong password!").status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(guess, range(burst)))
    assert statuses.count(401) == limit - 1
    assert statuses.count(429) == burst - (limit - 1)
    assert login(app.test_client(), "doctor_b").status_code == 429


def test_password_is_taken_verbatim(api, client, users):
    created = api.post(
        "/api/v1/users",
        as_="admin",
        json={
            "username": "spacey",
            "display_name": "x",
            "password": "  spaces around it  ",
            "role": "admin",
        },
    )
    assert created.status_code == 201
    assert login(client, "spacey", "spaces around it").status_code == 401
    assert login(client, "spacey", "  spaces around it  ").status_code == 201
