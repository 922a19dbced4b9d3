"""The commands a new user runs: migrate, load the county, seed the demo, serve under gunicorn.

The commands run in this process (click's runner); two tests start real processes: the installed
``gpassist`` entry point serving, and gunicorn with the gevent worker.
"""

from __future__ import annotations

import functools
import shutil

import pytest
import requests
from sqlalchemy import func, select

from gpassist import create_app
from gpassist.audit.tables import AuditEvent
from gpassist.auth import service as auth_service
from gpassist.db import Database
from gpassist.demo.common import DEMO_PASSWORD
from tests.cli import gpassist, succeeds, use_settings
from tests.conftest import DEMO_COUNTY
from tests.servers import BIN, free_port, running_server, service_env


def audit_count(database_url: str) -> int:
    database = Database(database_url)
    try:
        with database.sessionmaker() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent))
    finally:
        database.dispose()


@pytest.mark.slow
def test_setup_is_idempotent_and_demo_doctor_can_work(empty_database_url, tmp_path, monkeypatch):
    use_settings(monkeypatch, empty_database_url, tmp_path / "instance")
    # The demo's 86 users share one password: hash it once (a real Argon2 hash, so logging in
    # below still checks it) instead of 86 times at half a second each.
    monkeypatch.setattr(auth_service, "hash_password", functools.cache(auth_service.hash_password))
    steps = [
        ("db", "upgrade"),
        ("load-clinics", str(DEMO_COUNTY)),
        ("seed-demo", "--patients", "120"),
    ]
    first = [succeeds(*step) for step in steps]
    assert "demo logins" in first[2] and "doctor-v01-01" in first[2]
    writes = audit_count(empty_database_url)
    second = [succeeds(*step) for step in steps]
    assert "no changes" in second[1]
    assert "nothing changed" in second[2]
    assert audit_count(empty_database_url) == writes

    app = create_app(
        {"DATABASE_URL": empty_database_url, "INSTANCE_PATH": str(tmp_path / "instance")}
    )
    try:
        client = app.test_client()
        login = client.post(
            "/api/v1/auth/token", json={"username": "doctor-v01-01", "password": DEMO_PASSWORD}
        )
        assert login.status_code == 201
        auth = {"Authorization": f"Bearer {login.get_json()['access_token']}"}
        mine = client.get("/api/v1/patients", headers=auth).get_json()
        assert all(p["clinic_code"] == "V01-01" for p in mine["items"])
        patient = client.post(
            "/api/v1/patients",
            headers=auth,
            json={"name": "新病人", "sex": "female", "birth_date": "1961-02-03"},
        )
        assert patient.status_code == 201
        visit = client.post(
            f"/api/v1/patients/{patient.get_json()['id']}/encounters",
            headers=auth,
            json={"chief_complaint": "咳嗽两天", "vitals": {"temperature_c": 37.8}},
        )
        assert visit.status_code == 201
    finally:
        app.extensions["gpassist.db"].dispose()


def test_create_user_reads_the_password_from_stdin(app, database_url, tmp_path, monkeypatch):
    use_settings(monkeypatch, database_url, tmp_path / "instance")  # the app's mini county
    out = succeeds(
        "create-user",
        "--username",
        "wang.yisheng",
        "--display-name",
        "王医生",
        "--role",
        "specialist",
        "--department",
        "CH/cardiology",
        "--password-stdin",
        input="a long secret phrase\n",
    )
    assert "created specialist wang.yisheng" in out
    refused = gpassist(
        "create-user",
        "--username",
        "x1",
        "--display-name",
        "x",
        "--role",
        "village_doctor",
        "--password-stdin",
        input="a long secret phrase\n",
    )
    assert refused.exit_code != 0
    assert "village clinic" in refused.stderr


def test_load_clinics_names_the_bad_line(tmp_path, empty_database_url, monkeypatch):
    folder = tmp_path / "county"
    shutil.copytree(DEMO_COUNTY, folder)
    drugs = folder / "drugs.yaml"
    drugs.write_text(
        drugs.read_text(encoding="utf-8").replace(
            "insurance_category: A", "insurance_category: Z", 1
        ),
        encoding="utf-8",
    )
    use_settings(monkeypatch, empty_database_url, tmp_path / "instance")
    result = gpassist("load-clinics", str(folder))
    assert result.exit_code != 0
    assert "drugs.yaml:" in result.stderr and "insurance_category" in result.stderr


@pytest.mark.slow
def test_the_installed_command_serves(empty_database_url, tmp_path, monkeypatch):
    """The console script itself (not the runner): ``gpassist serve`` answers /readyz."""
    use_settings(monkeypatch, empty_database_url, tmp_path / "instance")
    succeeds("db", "upgrade")
    env = service_env(empty_database_url, tmp_path / "instance")
    port = free_port()
    args = [str(BIN / "gpassist"), "serve", "--port", str(port)]
    with running_server(args, env, port, ready_path="/readyz") as base:
        ready = requests.get(f"{base}/readyz", timeout=10).json()
        assert ready["status"] == "ready"


@pytest.mark.slow
def test_gunicorn_with_gevent_worker_serves_readyz(empty_database_url, tmp_path, monkeypatch):
    use_settings(monkeypatch, empty_database_url, tmp_path / "instance")
    succeeds("db", "upgrade")
    env = service_env(empty_database_url, tmp_path / "instance")
    port = free_port()
    args = [str(BIN / "gunicorn"), "-w", "1", "-k", "gevent", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with running_server(args, env, port, ready_path="/readyz") as base:
        ready = requests.get(f"{base}/readyz", timeout=10).json()
        assert ready["status"] == "ready"
