"""Browser tests: Debian's Chromium, driven by Playwright, against the real service.

- ``live_server``: ``gpassist serve`` on a free port (session scope), set up the way an
  operator does it: ``gpassist db upgrade``, ``gpassist load-clinics clinics/demo-county``,
  and a user for each of ``USERS`` (what ``gpassist create-user`` does). SQLite, or a fresh
  PostgreSQL schema when ``GPASSIST_TEST_POSTGRES_URL`` is set. ``live_server.api(role)`` is a
  bearer-token API client for preparing data; ``live_server.users[role]`` has the password.
- ``browser``: one headless Chromium for the session.
- ``page_as(role)``: a page logged in through the real login form, in a context of its own
  (1024×768, zh-CN, Asia/Shanghai); ``new_page()``: the same, not logged in. A failed test
  leaves a screenshot of each of its pages in ``<artifacts>/failures/``.

Without Chromium or axe-core (``npm ci --prefix tests/browser``) the tests
skip, or fail under ``GPASSIST_REQUIRE_SERVICES=1`` (CI). docs/browser-tests.md has more.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from gpassist.auth.service import create_user
from gpassist.auth.tables import Role
from gpassist.db import Database
from tests.browser.support import (
    AXE_SCRIPT,
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    Login,
    artifacts_dir,
    forget_page_errors,
    log_in,
    page_errors,
)
from tests.conftest import DEMO_COUNTY, PASSWORD, POSTGRES_URL, PostgresSchema, service_unavailable
from tests.servers import BIN, free_port, running_server, service_env

HERE = Path(__file__).resolve().parent


# One user per role, plus a village doctor at another clinic (for "cannot see" checks).
USERS = {
    "village_doctor": Login("wang.cunyi", PASSWORD, "王村医", "village_doctor", clinic="V01-01"),
    "other_village_doctor": Login(
        "li.cunyi", PASSWORD, "李村医", "village_doctor", clinic="V02-01"
    ),
    "specialist": Login(
        "chen.xinnei", PASSWORD, "陈心内", "specialist", department="CH/cardiology"
    ),
    "pharmacist": Login("zhao.yaoshi", PASSWORD, "赵药师", "pharmacist"),
    "admin": Login("county.admin", PASSWORD, "县卫健委管理员", "admin"),
}


def pytest_collection_modifyitems(config, items) -> None:
    # Every test in this folder drives Chromium (most against the server): mark them all, so
    # `pytest -m "not browser"` leaves them out and `pytest -m browser` picks them.
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


_REPORTS = pytest.StashKey[dict]()


# --- the server --------------------------------------------------------------------------------


class Api(requests.Session):
    """The JSON API as one user, for setting up what a page test then looks at."""

    def __init__(self, base_url: str, token: str) -> None:
        super().__init__()
        self.base_url = base_url
        self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, url, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        if url.startswith("/"):
            url = self.base_url + url
        return super().request(method, url, *args, **kwargs)


@dataclass
class LiveServer:
    url: str
    database_url: str
    log: Path
    users: dict[str, Login]
    _apis: dict[str, Api] = field(default_factory=dict)

    def api(self, role: str) -> Api:
        if role not in self._apis:
            login = self.users[role]
            answer = requests.post(
                f"{self.url}/api/v1/auth/token",
                json={"username": login.username, "password": login.password},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            self._apis[role] = Api(self.url, answer.json()["access_token"])
        return self._apis[role]


def _gpassist(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [str(BIN / "gpassist"), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"gpassist {' '.join(args)}:\n{done.stdout}{done.stderr}"


def _create_users(database_url: str) -> None:
    # The function `gpassist create-user` calls, in this process: five more CLI processes would
    # cost seconds of start-up on a shared 2-core machine (test_cli_and_serving covers the CLI).
    database = Database(database_url)
    try:
        with database.transaction(actor="browser-tests") as session:
            for login in USERS.values():
                create_user(
                    session,
                    username=login.username,
                    display_name=login.display_name,
                    password=login.password,
                    role=Role(login.role),
                    clinic_code=login.clinic,
                    department=tuple(login.department.split("/")) if login.department else None,
                )
    finally:
        database.dispose()


@pytest.fixture(scope="session")
def _browser_database(request, tmp_path_factory) -> Iterator[str]:
    if not POSTGRES_URL:
        yield f"sqlite:///{tmp_path_factory.mktemp('browser') / 'gpassist.db'}"
        return
    server = request.getfixturevalue("postgres_url")
    with PostgresSchema(server) as schema:
        yield schema.url


@pytest.fixture(scope="session")
def live_server(_browser_database, tmp_path_factory) -> Iterator[LiveServer]:
    """The real service with the demo county and one user per role (see ``USERS``)."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = service_env(_browser_database, instance)
    _gpassist(env, "db", "upgrade")

    def load_county_and_users() -> None:
        _gpassist(env, "load-clinics", str(DEMO_COUNTY))
        _create_users(_browser_database)

    port = free_port()
    args = [str(BIN / "gpassist"), "serve", "--port", str(port)]
    # The server spends its first seconds importing (the diagnosis models): load meanwhile.
    with ThreadPoolExecutor(max_workers=1) as pool:
        loading = pool.submit(load_county_and_users)
        with running_server(args, env, port, ready_path="/readyz") as base:
            loading.result()
            yield LiveServer(base, _browser_database, instance / f"server-{port}.log", dict(USERS))


# --- the browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_unavailable(
            f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
            "fonts-wqy-microhei (never `playwright install`)"
        )
    if not AXE_SCRIPT.exists():
        service_unavailable(
            "browser tests need axe-core: npm ci --no-audit --no-fund --prefix tests/browser"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def new_page(browser, live_server, request) -> Iterator[Callable[..., Page]]:
    """``new_page(lang="zh")``: a page not logged in, in a fresh context (own cookies)."""
    contexts = []

    def make(lang: str = "zh") -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=VIEWPORT,
            locale="zh-CN" if lang == "zh" else "en-US",
            timezone_id="Asia/Shanghai",
        )
        contexts.append(context)
        if lang != "zh":
            context.add_cookies([{"name": "gpassist_lang", "value": lang, "url": live_server.url}])
        page = context.new_page()
        page.on("pageerror", lambda error: page_errors(page).append(str(error)))
        return page

    yield make
    reports = request.node.stash.get(_REPORTS, {})
    if any(report.failed for report in reports.values()):
        _save_failure_screenshots(request.node.nodeid, contexts)
    for context in contexts:
        for page in context.pages:
            forget_page_errors(page)
        context.close()


@pytest.fixture
def page_as(new_page, live_server) -> Callable[..., Page]:
    """``page_as("village_doctor", lang="zh")``: a page logged in through the login form."""

    def make(role: str, lang: str = "zh") -> Page:
        page = new_page(lang)
        log_in(page, live_server.users[role])
        return page

    return make


def _save_failure_screenshots(nodeid: str, contexts) -> None:
    folder = artifacts_dir() / "failures"
    folder.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid)[-120:]
    number = 0
    for context in contexts:
        for page in context.pages:
            number += 1
            # A crashed page has no picture; the failure itself is reported anyway.
            with contextlib.suppress(Exception):
                page.screenshot(path=str(folder / f"{stem}-{number}.png"), full_page=True)
