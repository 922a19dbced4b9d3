"""The built wheel, installed (not editable) into a fresh virtual environment, runs the service.

Nothing may come from the source tree: migrations, models and templates ship in the package, and
the county (payer policy included) is read once by ``load-clinics`` and kept in the database. To
stay fast the wheel is installed with ``--no-deps``; the new environment sees the main
environment's third-party packages through a ``.pth`` line, which adds the folder to ``sys.path``
without running the ``.pth`` files in it, so the main environment's editable ``gpassist`` finder
stays out.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import uuid
from pathlib import Path

import pytest
import requests

from tests.servers import ROOT, free_port, running_server, service_env

pytestmark = [pytest.mark.slow, pytest.mark.wheel]

MINI_COUNTY = ROOT / "tests" / "data" / "mini-county"
PASSWORD = "correct horse battery staple"


def run(args: list[str], **kwargs) -> str:
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert done.returncode == 0, f"{args[:3]}…: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


def build_wheel(folder: Path) -> Path:
    """Build from a copy of the sources, so the build leaves nothing in the working tree."""
    source = folder / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "gpassist", source / "gpassist", ignore=shutil.ignore_patterns("__pycache__")
    )
    dist = folder / "dist"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)])
    (wheel,) = dist.glob("gpassist-*.whl")
    return wheel


def install_into_fresh_venv(wheel: Path, venv: Path) -> Path:
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", "--python"]
    run([*pip, str(python), "install", "--no-deps", "--no-index", str(wheel)])
    new_site = Path(
        run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip()
    )
    (new_site / "main_venv_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return venv / "bin"


@pytest.fixture(scope="module")
def wheel_bin(tmp_path_factory) -> Path:
    """The ``bin`` folder of a fresh virtual environment holding the wheel, nothing editable."""
    folder = tmp_path_factory.mktemp("wheel")
    return install_into_fresh_venv(build_wheel(folder), folder / "venv")


def test_the_installed_wheel_migrates_loads_a_county_and_serves(wheel_bin, tmp_path):
    workdir = tmp_path / "elsewhere"  # not the repository: nothing may be found relative to it
    workdir.mkdir()
    env = service_env(f"sqlite:///{tmp_path / 'wheel.db'}", tmp_path / "instance")
    env.pop("PYTHONPATH", None)  # the helpers' way of running the working tree
    venv = wheel_bin.parent

    def gpassist(*args: str, **kwargs) -> str:
        return run([str(wheel_bin / "gpassist"), *args], env=env, cwd=workdir, **kwargs)

    where = run(
        [str(wheel_bin / "python"), "-c", "import gpassist; print(gpassist.__file__)"],
        env=env,
        cwd=workdir,
    ).strip()
    assert Path(where).is_relative_to(venv), where

    assert "database at revision" in gpassist("db", "upgrade")
    assert "payer policies created: 1" in gpassist("load-clinics", str(MINI_COUNTY))
    gpassist(
        "create-user",
        "--username",
        "doctor",
        "--display-name",
        "Doctor",
        "--role",
        "village_doctor",
        "--clinic",
        "VA",
        "--password-stdin",
        input=PASSWORD + "\n",
    )

    port = free_port()
    args = [str(wheel_bin / "gpassist"), "serve", "--port", str(port)]
    with running_server(args, env, port, ready_path="/readyz", cwd=workdir) as base:
        ready = requests.get(f"{base}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"

        login = requests.post(
            f"{base}/api/v1/auth/token",
            json={"username": "doctor", "password": PASSWORD},
            timeout=10,
        )
        assert login.status_code == 201
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        # The packaged models were found and loaded.
        models = requests.get(f"{base}/api/v1/diagnosis/models", headers=auth, timeout=10)
        assert models.status_code == 200
        assert "general" in models.text
        # The payer policy came from the database: 1000 fen consultation, A, 55 % basic insurance.
        patient = requests.post(
            f"{base}/api/v1/patients",
            headers=auth,
            json={"name": "新病人", "sex": "female", "birth_date": "1961-02-03"},
            timeout=10,
        )
        assert patient.status_code == 201
        settled = requests.post(
            f"{base}/api/v1/settlements",
            headers={**auth, "Idempotency-Key": uuid.uuid4().hex},
            json={
                "patient_id": patient.json()["id"],
                "visit_type": "outpatient",
                "bill_date": "2026-03-02",
                "items": [{"service": "consult-general", "quantity": 1}],
            },
            timeout=10,
        )
        assert settled.status_code == 201, settled.text
        shares = {s["payer"]: s["amount_fen"] for s in settled.json()["shares"]}
        assert shares["basic_insurance"] == 550

    # Production: gunicorn's gevent worker on the packaged factory (the checkout's wsgi.py is
    # not there).
    port = free_port()
    args = [
        str(wheel_bin / "python"),
        "-m",
        "gunicorn",
        "-w",
        "1",
        "-k",
        "gevent",
        "-b",
        f"127.0.0.1:{port}",
        "gpassist.wsgi:production_app()",
    ]
    with running_server(args, env, port, ready_path="/readyz", cwd=workdir) as base:
        assert requests.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
