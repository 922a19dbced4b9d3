"""Lighthouse (mobile preset) on the five main pages, with Debian's Chromium.

Starts the service on a scratch SQLite database with the demo county (``db upgrade``,
``load-clinics``, ``seed-demo``: what ``make run`` does), logs in as each role through the login
form, and runs Lighthouse on login, today (village doctor), visit (a patient of that doctor with
readings), pharmacist board and admin overview, passing the session cookie as an extra header.
Prints one markdown table (median of ``--runs`` runs per page); the figures go in
docs/performance.md. A bench script, never part of the test suite.

    npm ci --no-audit --no-fund --prefix bench/lighthouse      # once: Lighthouse 12 from npm
    .venv/bin/python bench/lighthouse/run.py [--runs 3] [--keep-reports DIR] [--base URL]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: import gpassist and tests
    sys.path.insert(0, str(ROOT))

from gpassist.demo.common import DEMO_PASSWORD  # noqa: E402
from tests.servers import BIN, free_port, running_server, service_env  # noqa: E402

LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROMIUM = os.environ.get("GPASSIST_TEST_CHROMIUM", "/usr/bin/chromium")
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
CATEGORIES = ("performance", "accessibility", "best-practices")
DOCTOR = "doctor-v09-03"  # the demo's fullest village doctor (README)


@dataclass(frozen=True)
class Target:
    name: str
    user: str | None  # None: not logged in
    path: str


@dataclass
class Result:
    scores: dict[str, int]
    lcp_ms: float
    tbt_ms: float
    cls: float


def main() -> None:
    """Start the demo service, run Lighthouse on each page, print the table."""
    options = _arguments()
    if not LIGHTHOUSE.exists():
        sys.exit("no Lighthouse: npm ci --no-audit --no-fund --prefix bench/lighthouse")
    if options.base:
        rows = _run_all(options.base.rstrip("/"), options)
    else:
        with _demo_service() as base:
            rows = _run_all(base, options)
    _print_table(rows, options.runs)


@contextmanager
def _demo_service() -> Iterator[str]:
    """The service on a scratch SQLite database with the demo county, as ``make run`` sets up."""
    with tempfile.TemporaryDirectory(prefix="gpassist-lighthouse-") as folder:
        env = service_env(f"sqlite:///{folder}/demo.db", Path(folder) / "instance")
        for args in (("db", "upgrade"), ("load-clinics", "clinics/demo-county"), ("seed-demo",)):
            subprocess.run(
                [str(BIN / "gpassist"), *args], env=env, cwd=ROOT, check=True, capture_output=True
            )
        port = free_port()
        command = [str(BIN / "gpassist"), "serve", "--port", str(port)]
        with running_server(command, env, port, ready_path="/readyz") as base:
            yield base


def _run_all(base: str, options: argparse.Namespace) -> list[tuple[Target, Result]]:
    rows = []
    for target in _targets(base):
        if options.only and options.only not in target.name:
            continue
        cookie = _session_cookie(base, target.user) if target.user else None
        runs = [
            _lighthouse(base + target.path, cookie, options.keep_reports, target, n)
            for n in range(options.runs)
        ]
        rows.append((target, _median(runs)))
        print(f"  {target.name}: {[r.scores for r in runs]}", file=sys.stderr)
    return rows


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per page (median reported)")
    parser.add_argument("--keep-reports", type=Path, help="save each run's JSON report here")
    parser.add_argument("--base", help="use this running demo service instead of starting one")
    parser.add_argument("--only", help="only the pages whose name contains this")
    return parser.parse_args()


def _targets(base: str) -> list[Target]:
    visit = _patient_with_readings(base)
    return [
        Target("login", None, "/login"),
        Target("today (village doctor)", DOCTOR, "/app/today"),
        Target("visit (village doctor)", DOCTOR, f"/app/patients/{visit}"),
        Target("pharmacist board", "pharmacist", "/app/pharmacy"),
        Target("admin overview", "admin", "/app/reports"),
    ]


def _patient_with_readings(base: str) -> int:
    """The doctor's patient with the most visits (a full history and chart to draw)."""
    token = requests.post(
        f"{base}/api/v1/auth/token",
        json={"username": DOCTOR, "password": DEMO_PASSWORD},
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    patients = requests.get(f"{base}/api/v1/patients?limit=100", headers=headers, timeout=30)
    best, most = None, -1
    for patient in patients.json()["items"]:
        visits = requests.get(
            f"{base}/api/v1/patients/{patient['id']}/encounters?limit=20",
            headers=headers,
            timeout=30,
        ).json()["items"]
        if len(visits) > most:
            best, most = patient["id"], len(visits)
    assert best is not None, f"{DOCTOR} has no patients"
    return best


def _session_cookie(base: str, username: str) -> str:
    """Log in through the form (CSRF token and all) and return the Cookie header it earns."""
    browser = requests.Session()
    form = browser.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no CSRF token on the login form"
    answer = browser.post(
        f"{base}/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"login of {username}: {answer.status_code}"
    return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def _lighthouse(url: str, cookie: str | None, keep: Path | None, target: Target, n: int) -> Result:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        command = [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            f"--chrome-flags={CHROME_FLAGS}",
            f"--only-categories={','.join(CATEGORIES)}",
            "--output=json",
            f"--output-path={report}",
        ]
        if cookie:
            command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
        env = dict(os.environ, CHROME_PATH=CHROMIUM)
        subprocess.run(command, env=env, check=True, timeout=300)
        data = json.loads(report.read_text())
    if keep:
        keep.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^a-z0-9]+", "-", target.name.lower()).strip("-")
        (keep / f"{stem}-{n + 1}.json").write_text(json.dumps(data))
    audits = data["audits"]
    final = data.get("finalDisplayedUrl") or data.get("finalUrl", "")
    assert "/login" not in final or target.user is None, f"{url} sent Lighthouse to the login"
    return Result(
        scores={c: round(data["categories"][c]["score"] * 100) for c in CATEGORIES},
        lcp_ms=audits["largest-contentful-paint"]["numericValue"],
        tbt_ms=audits["total-blocking-time"]["numericValue"],
        cls=audits["cumulative-layout-shift"]["numericValue"],
    )


def _median(runs: list[Result]) -> Result:
    return Result(
        scores={c: round(statistics.median(r.scores[c] for r in runs)) for c in CATEGORIES},
        lcp_ms=statistics.median(r.lcp_ms for r in runs),
        tbt_ms=statistics.median(r.tbt_ms for r in runs),
        cls=statistics.median(r.cls for r in runs),
    )


def _print_table(rows: list[tuple[Target, Result]], runs: int) -> None:
    print(f"\nLighthouse 12, mobile preset, Chromium {_chromium_version()}, median of {runs}")
    print("| page | performance | accessibility | best practices | LCP | TBT | CLS |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for target, r in rows:
        s = r.scores
        print(
            f"| {target.name} | {s['performance']} | {s['accessibility']} | "
            f"{s['best-practices']} | {r.lcp_ms / 1000:.1f} s | {r.tbt_ms:.0f} ms | {r.cls:.3f} |"
        )


def _chromium_version() -> str:
    done = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"(\d+(?:\.\d+)+)", done.stdout)
    return found.group(1) if found else "?"


if __name__ == "__main__":
    main()
