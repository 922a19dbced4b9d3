"""The commands a new user runs: migrate, load the county, seed the demo, serve under gunicorn."""

from __future__ import annotations

import subprocess

import pytest
import requests
from sqlalchemy import func, select

from gpassist.audit.tables import AuditEvent
from gpassist.db import Database
from gpassist.demo import DEMO_PASSWORD
from tests.conftest import DEMO_COUNTY
from tests.servers import BIN, free_port, running_server, service_env

pytestmark = pytest.mark.slow


def gpassist(env, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(BIN / "gpassist"), *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def audit_count(database_url: str) -> int:
    database = Database(database_url)
    try:
        with database.sessionmaker() as session:
            return session.scalar(select(func.count()).select_from(AuditEvent))
    finally:
        database.dispose()


def test_setup_is_idempotent_and_demo_doctor_can_work(database_url, tmp_path):
    env = service_env(database_url, tmp_path / "instance")
    steps = [
        ("db", "upgrade"),
        ("load-clinics", str(DEMO_COUNTY)),
        ("seed-demo", "--patients", "120"),
    ]
    first = [gpassist(env, *step) for step in steps]
    assert "demo logins" in first[2] and "doctor-v01-01" in first[2]
    writes = audit_count(database_url)
    second = [gpassist(env, *step) for step in steps]
    assert "no changes" in second[1]
    assert "nothing changed" in second[2]
    assert audit_count(database_url) == writes

    port = free_port()
    args = [str(BIN / "gpassist"), "serve", "--port", str(port)]
    with running_server(args, env, port, ready_path="/readyz") as base:
        login = requests.post(
            f"{base}/api/v1/auth/token",
            json={"username": "doctor-v01-01", "password": DEMO_PASSWORD},
            timeout=10,
        )
        assert login.status_code == 201
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        mine = requests.get(f"{base}/api/v1/patients", headers=auth, timeout=10).json()
        assert all(p["clinic_code"] == "V01-01" for p in mine["items"])
        patient = requests.post(
            f"{base}/api/v1/patients",
            headers=auth,
            json={"name": "新病人", "sex": "female", "birth_date": "1961-02-03"},
            timeout=10,
        )
        assert patient.status_code == 201
        visit = requests.post(
            f"{base}/api/v1/patients/{patient.json()['id']}/encounters",
            headers=auth,
            json={"chief_complaint": "咳嗽两天", "vitals": {"temperature_c": 37.8}},
            timeout=10,
        )
        assert visit.status_code == 201


def test_create_user_reads_the_password_from_stdin(database_url, tmp_path):
    env = service_env(database_url, tmp_path / "instance")
    gpassist(env, "db", "upgrade")
    gpassist(env, "load-clinics", str(DEMO_COUNTY))
    out = gpassist(
        env,
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
        stdin="a long secret phrase\n",
    )
    assert "created specialist wang.yisheng" in out
    refused = subprocess.run(
        [
            str(BIN / "gpassist"),
            "create-user",
            "--username",
            "x1",
            "--display-name",
            "x",
            "--role",
            "village_doctor",
            "--password-stdin",
        ],
        env=env,
        input="a long secret phrase\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "village clinic" in refused.stderr


def test_load_clinics_names_the_bad_line(tmp_path, database_url):
    import shutil

    folder = tmp_path / "county"
    shutil.copytree(DEMO_COUNTY, folder)
    drugs = folder / "drugs.yaml"
    drugs.write_text(
        drugs.read_text(encoding="utf-8").replace(
            "insurance_category: A", "insurance_category: Z", 1
        ),
        encoding="utf-8",
    )
    env = service_env(database_url, tmp_path / "instance")
    gpassist(env, "db", "upgrade")
    result = subprocess.run(
        [str(BIN / "gpassist"), "load-clinics", str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "drugs.yaml:" in result.stderr and "insurance_category" in result.stderr


def test_gunicorn_with_gevent_worker_serves_readyz(database_url, tmp_path):
    env = service_env(database_url, tmp_path / "instance")
    gpassist(env, "db", "upgrade")
    port = free_port()
    args = [str(BIN / "gunicorn"), "-w", "1", "-k", "gevent", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with running_server(args, env, port, ready_path="/readyz") as base:
        ready = requests.get(f"{base}/readyz", timeout=10).json()
        assert ready["status"] == "ready"
