"""The pages' login: session cookie, CSRF on every form and API write, Chinese with English."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PASSWORD, ROOT

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_from(page: bytes) -> str:
    match = CSRF_FIELD.search(page.decode())
    assert match, "the page has no CSRF field"
    return match.group(1)


def log_in(client, username: str, password: str = PASSWORD, **extra):
    token = csrf_from(client.get("/login").data)
    form = {"username": username, "password": password, "csrf_token": token, **extra}
    return client.post("/login", data=form)


def test_login_page_is_chinese_by_default_and_english_on_request(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "用户名" in page.text and "密码" in page.text
    client.get("/lang/en")
    assert "Username" in client.get("/login").text


def test_logging_in_shows_the_users_start_page(client, users):
    response = log_in(client, "doctor_a")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app")
    home = client.get("/app", follow_redirects=True)
    assert home.status_code == 200
    assert home.request.path == "/app/today"  # a village doctor starts the day with the worklist
    assert "村医" in home.text and "今日应随访" in home.text


def test_a_wrong_password_is_refused_in_chinese_and_sets_no_session(client, users):
    response = log_in(client, "doctor_a", "not the password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert client.get("/app").status_code == 302


@pytest.mark.parametrize("stale", ["missing", "another session's"])
def test_a_login_form_with_a_stale_csrf_token_gets_the_login_page_again(client, users, stale):
    # A tab left open on an expired session can swap the session cookie under the login page,
    # so the page's token no longer matches: the next user must see the page, not JSON.
    client.get("/login")
    form = {"username": "doctor_a", "password": PASSWORD, "next": "/app/patients"}
    if stale != "missing":
        form["csrf_token"] = csrf_from(client.application.test_client().get("/login").data)
    refused = client.post("/login", data=form)
    assert refused.status_code == 400
    assert refused.mimetype == "text/html"
    assert "页面已过期，请重新登录" in refused.text
    # What was typed is kept, but the password
    assert 'value="doctor_a"' in refused.text and 'value="/app/patients"' in refused.text
    assert client.get("/app").status_code == 302
    again = client.post("/login", data={**form, "csrf_token": csrf_from(refused.data)})
    assert again.status_code == 302 and again.headers["Location"].endswith("/app/patients")
    assert client.get("/api/v1/auth/me").json["username"] == "doctor_a"


def test_other_forms_without_their_csrf_token_still_get_a_problem_document(client, users):
    log_in(client, "doctor_a")
    refused = client.post("/logout")
    assert refused.status_code == 400
    assert refused.mimetype == "application/problem+json"
    assert refused.json["type"] == "/problems/csrf"
    assert client.get("/api/v1/auth/me").json["username"] == "doctor_a"


def test_only_local_paths_are_followed_after_login(client, users):
    response = log_in(client, "doctor_a", next="https://evil.example/steal")
    assert response.headers["Location"].endswith("/app")
    client2 = client.application.test_client()
    response = log_in(client2, "doctor_a", next="/app?x=1")
    assert response.headers["Location"].endswith("/app?x=1")


def test_pages_call_the_api_with_the_session_and_need_csrf_to_write(client, users):
    log_in(client, "admin")
    assert client.get("/api/v1/auth/me").json["username"] == "admin"
    body = {
        "username": "nurse1",
        "display_name": "护士",
        "role": "pharmacist",
        "password": "a long enough password 1",
    }
    refused = client.post("/api/v1/users", json=body)
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    token = CSRF_META.search(client.get("/app", follow_redirects=True).text).group(1)
    created = client.post("/api/v1/users", json=body, headers={"X-CSRFToken": token})
    assert created.status_code == 201, created.json


def test_logout_revokes_the_sessions_token(client, users):
    log_in(client, "doctor_a")
    page = client.get("/app", follow_redirects=True)
    client.post("/logout", data={"csrf_token": csrf_from(page.data)})
    assert client.get("/app").status_code == 302
    assert client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.slow
def test_the_english_catalog_is_complete_and_compiled(tmp_path):
    """Every Chinese string of the pages has an English translation, and the committed .mo is
    the compiled .po (`make translations` regenerates both)."""
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).with_name("pybabel")),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(pot),
            "gpassist/web",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    folder = ROOT / "gpassist" / "web" / "translations" / "en" / "LC_MESSAGES"
    with open(folder / "messages.po", "rb") as f:
        po = read_po(f)
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    untranslated = sorted(i for i in wanted if not (po.get(i) and po.get(i).string))
    assert untranslated == []
    with open(folder / "messages.mo", "rb") as f:
        mo = read_mo(f)
    assert {m.id: m.string for m in mo if m.id} == {m.id: m.string for m in po if m.id}


def test_the_pages_assets_are_served_by_the_app_itself(client):
    """No CDN: a county network may have no internet."""
    page = client.get("/login").text
    assets = re.findall(r'(?:href|src)="(/[^"]+\.(?:css|js)(?:\?v=[0-9a-f]+)?)"', page)
    assert assets
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "http://" not in page and "https://" not in page


def test_the_pages_socket_uses_the_session_only_from_this_sites_origin(app, client, users):
    from gpassist.extensions import socketio

    log_in(client, "doctor_a")

    def connect(origin: str | None):
        headers = {"Origin": origin} if origin else {}
        return socketio.test_client(app, flask_test_client=client, headers=headers)

    assert connect("http://localhost").is_connected()
    assert not connect("https://evil.example").is_connected()
    assert not connect(None).is_connected()
