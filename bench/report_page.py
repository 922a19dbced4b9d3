"""The administrator's first report page (/app/reports), as its browser loads it: the page, the
overview, the towns, the follow-up report and its chart. Times each request in a fresh process
(cold: the first administrator of the morning) and warm (median of later loads), in-process
through the WSGI test client, on a database given by GPASSIST_DATABASE_URL (a `make run` demo:
`gpassist db upgrade && gpassist load-clinics clinics/demo-county && gpassist seed-demo`).

    GPASSIST_DATABASE_URL=sqlite:////tmp/demo.db .venv/bin/python bench/report_page.py [--before]
"""

from __future__ import annotations

import statistics
import sys
import time

from common import ROOT  # noqa: F401  (puts the repository on sys.path)

from gpassist import create_app
from gpassist.db import shanghai_today
from gpassist.demo.common import DEMO_PASSWORD


def page_requests(year: int, before: bool) -> list[tuple[str, str]]:
    """What /app/reports asks for on load, in the order its scripts ask; ``before``: as before
    issue 14, when the page showed the server-rendered chart.png instead of drawing the series."""
    series = f"program=hypertension&year={year}"
    chart = (
        ("chart.png", f"/api/v1/reports/followup/chart.png?{series}")
        if before
        else ("monthly series", f"/api/v1/reports/followup/monthly?{series}")
    )
    return [
        ("page /app/reports", "/app/reports"),
        ("overview", "/api/v1/reports/overview"),
        ("follow-up report", f"/api/v1/reports/followup?program=hypertension&period={year}"),
        ("towns", "/api/v1/towns"),
        chart,
    ]


def timed_get(client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        sys.exit(f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return elapsed


def main(before: bool, warm_runs: int = 10) -> None:
    app = create_app()
    client = app.test_client()
    login = client.post(
        "/login",
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": _csrf(client)},
    )
    assert login.status_code == 302, login.status_code
    requests = page_requests(shanghai_today().year, before)
    cold = [(name, timed_get(client, url)) for name, url in requests]
    warm = {name: [] for name, _ in requests}
    for _ in range(warm_runs):
        for name, url in requests:
            warm[name].append(timed_get(client, url))
    print(f"{'request':20} {'cold':>9} {'warm (median of ' + str(warm_runs) + ')':>22}")
    for name, seconds in cold:
        print(f"{name:20} {seconds * 1000:7.0f}ms {statistics.median(warm[name]) * 1000:20.0f}ms")
    total_cold = sum(s for _, s in cold)
    total_warm = sum(statistics.median(v) for v in warm.values())
    print(f"{'sum (serial)':20} {total_cold * 1000:7.0f}ms {total_warm * 1000:20.0f}ms")


def _csrf(client) -> str:
    import re

    page = client.get("/login").get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert found, "no CSRF token on the login page"
    return found.group(1)


if __name__ == "__main__":
    main(before="--before" in sys.argv[1:])
