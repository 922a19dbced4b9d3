"""API overhead against a bare Flask route, measured in the same run.

    .venv/bin/python bench/bench_api.py [--requests 500] [--postgres URL]

Runs in-process through the WSGI test client (no network), so the numbers are the service's own
cost: token check, database read/write, audit, validation and serialization. Prints the median
per-request time of each endpoint and its ratio to a bare Flask route returning the same-size JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt

from common import on_each_database, print_results, timed

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.service import issue_token
from gpassist.clinics.loader import apply_registry, read_registry
from tests.conftest import MINI_COUNTY, make_users


def run(database_url: str, n: int, label: str) -> list[tuple[str, float]]:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "ERROR"})
    database = app.extensions["gpassist.db"]
    metadata.create_all(database.engine)
    with database.transaction(actor="bench") as session:
        apply_registry(session, read_registry(MINI_COUNTY))
        doctor = make_users(session)["doctor_a"]
        token = issue_token(session, doctor, ttl=dt.timedelta(hours=1)).token

    @app.get("/bench/bare")
    def bare():
        return {"id": 1, "name": "张三丰", "sex": "male", "birth_date": "1958-03-14"}

    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    patient = client.post(
        "/api/v1/patients",
        headers=auth,
        json={"name": "张三丰", "sex": "male", "birth_date": "1958-03-14"},
    ).get_json()
    visit = {"chief_complaint": "头晕", "vitals": {"sbp": 150, "dbp": 92}}

    results = [
        ("bare Flask route (baseline)", timed(lambda: client.get("/bench/bare"), n)),
        (
            "GET /api/v1/patients/{id}",
            timed(lambda: client.get(f"/api/v1/patients/{patient['id']}", headers=auth), n),
        ),
        (
            "GET /api/v1/patients?q=zs",
            timed(lambda: client.get("/api/v1/patients?q=zs", headers=auth), n),
        ),
        (
            "POST /api/v1/patients/{id}/encounters",
            timed(
                lambda: client.post(
                    f"/api/v1/patients/{patient['id']}/encounters", headers=auth, json=visit
                ),
                n,
            ),
        ),
        (
            "POST /api/v1/auth/token (argon2)",
            timed(
                lambda: client.post(
                    "/api/v1/auth/token",
                    json={"username": "admin", "password": "correct horse battery staple"},
                ),
                max(20, n // 10),
            ),
        ),
    ]
    database.dispose()
    print_results(label, results)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    args = parser.parse_args()
    on_each_database(args.postgres, lambda url, label: run(url, args.requests, label))


if __name__ == "__main__":
    main()
