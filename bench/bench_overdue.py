"""The overdue list of a 2,000-patient clinic, and the county follow-up report, against a bare
Flask route measured in the same run.

    .venv/bin/python bench/bench_overdue.py [--patients 2000] [--requests 100] [--postgres URL]

Seeds clinic VA of the mini county with hypertension patients (each with a diagnosing visit,
an enrolment and up to four quarterly follow-ups): about 40 % controlled and not yet due, 30 %
overdue, 10 % lost, 10 % never followed up, 10 % due this week. Then times, in-process through
the WSGI test client, the village doctor's ``GET /api/v1/follow-ups/overdue`` (the whole list,
highest risk first), the worklist query alone, and the admin's county report, monthly series
and chart. Prints the median of each and its ratio to the bare route.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time

from common import on_each_database, print_results, timed
from sqlalchemy import select

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.service import issue_token
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Facility
from gpassist.db import SHANGHAI, shanghai_today
from gpassist.followup import service
from gpassist.followup.rules import Classification, add_months
from gpassist.followup.tables import Enrolment, EnrolmentStatus, FollowUp
from gpassist.patients.tables import Encounter, Patient, PregnancyStatus, Sex
from tests.conftest import MINI_COUNTY, make_users

CONTROLLED, UNCONTROLLED = (132.0, 82.0), (162.0, 96.0)


def next_due_for(kind: str, today: dt.date, rng: random.Random) -> dt.date:
    days = {
        "controlled": rng.randint(1, 90),
        "overdue": -rng.randint(1, 330),
        "lost": -rng.randint(400, 700),
        "never_seen": -rng.randint(0, 200),
        "this_week": rng.randint(0, 6),
    }[kind]
    return today + dt.timedelta(days=days)


def seed_clinic(session, doctor, patients: int, today: dt.date) -> None:
    """Bulk-load ``patients`` enrolled hypertension patients at the doctor's clinic."""
    rng = random.Random(2026)
    kinds = rng.choices(
        ["controlled", "overdue", "lost", "never_seen", "this_week"],
        weights=[40, 30, 10, 10, 10],
        k=patients,
    )
    people = [
        Patient(
            clinic_id=doctor.clinic_id,
            name=f"患者{i:04d}",
            name_initials=f"hz{i:04d}",
            sex=Sex.male if i % 2 else Sex.female,
            birth_date=dt.date(1940 + i % 45, 1 + i % 12, 1 + i % 28),
            village="甲村",
            drug_allergies=[],
            pregnancy_status=(
                PregnancyStatus.not_applicable if i % 2 else PregnancyStatus.not_pregnant
            ),
        )
        for i in range(patients)
    ]
    session.add_all(people)
    session.flush()
    for person, kind in zip(people, kinds, strict=True):
        due = next_due_for(kind, today, rng)
        history = [] if kind == "never_seen" else _quarterly_visits(due, kind, rng)
        enrolled_on = history[0][0] if history else due
        session.add(_encounter(person, doctor, enrolled_on - dt.timedelta(days=1), ["I10"]))
        enrolment = Enrolment(
            patient_id=person.id,
            clinic_id=person.clinic_id,
            program="hypertension",
            status=EnrolmentStatus.active,
            enrolled_on=enrolled_on,
            next_due=due,
        )
        session.add(enrolment)
        session.flush()
        for visit_date, classification, visit_due, (sbp, dbp) in history:
            visit = _encounter(person, doctor, visit_date, [])
            session.add(visit)
            session.flush()
            session.add(
                FollowUp(
                    enrolment_id=enrolment.id,
                    patient_id=person.id,
                    clinic_id=person.clinic_id,
                    encounter_id=visit.id,
                    program="hypertension",
                    visit_date=visit_date,
                    sbp=sbp,
                    dbp=dbp,
                    classification=classification,
                    urgent_referral=False,
                    referral=False,
                    next_due=visit_due,
                    recorded_by_id=doctor.id,
                )
            )
            enrolment.last_follow_up_on = visit_date
            enrolment.last_classification = classification
            enrolment.last_sbp, enrolment.last_dbp = sbp, dbp
    session.flush()


def _quarterly_visits(due: dt.date, kind: str, rng: random.Random):
    """Up to four follow-ups, three months apart, the last of which set ``due``."""
    controlled = kind in ("controlled", "this_week") or rng.random() < 0.5
    last = add_months(due, -3) if controlled else due - dt.timedelta(days=14)
    dates = [add_months(last, -3 * k) for k in range(rng.randint(1, 4))][::-1]
    visits = []
    for index, day in enumerate(dates):
        latest = index == len(dates) - 1
        ok = controlled if latest else True
        visits.append(
            (
                day,
                Classification.controlled if ok else Classification.uncontrolled,
                due if latest else add_months(day, 3),
                CONTROLLED if ok else UNCONTROLLED,
            )
        )
    return visits


def _encounter(patient: Patient, doctor, day: dt.date, diagnoses: list[str]) -> Encounter:
    return Encounter(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        doctor_id=doctor.id,
        occurred_at=dt.datetime.combine(day, dt.time(9), SHANGHAI),
        chief_complaint="慢病随访",
        symptoms=[],
        diagnoses=diagnoses,
    )


def run(database_url: str, patients: int, n: int, label: str) -> list[tuple[str, float]]:
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "bench", "LOG_LEVEL": "ERROR"})
    database = app.extensions["gpassist.db"]
    metadata.create_all(database.engine)
    today = shanghai_today()
    started = time.perf_counter()
    with database.transaction(actor="bench") as session:
        apply_registry(session, read_registry(MINI_COUNTY))
        users = make_users(session)
        seed_clinic(session, users["doctor_a"], patients, today)
        doctor = issue_token(session, users["doctor_a"], ttl=dt.timedelta(hours=1)).token
        admin = issue_token(session, users["admin"], ttl=dt.timedelta(hours=1)).token
    seeded = time.perf_counter() - started

    @app.get("/bench/bare")
    def bare():
        return {"id": 1, "name": "张三丰", "sex": "male", "birth_date": "1958-03-14"}

    client = app.test_client()
    as_doctor = {"Authorization": f"Bearer {doctor}"}
    as_admin = {"Authorization": f"Bearer {admin}"}
    overdue = client.get("/api/v1/follow-ups/overdue", headers=as_doctor)
    if overdue.status_code != 200:
        sys.exit(f"GET /api/v1/follow-ups/overdue answered {overdue.status_code}: is it routed?")
    listed = len(overdue.get_json()["items"])
    with database.read_sessionmaker() as session:
        clinic_id = session.scalar(select(Facility.id).where(Facility.code == "VA"))

        def worklist_query():
            session.expunge_all()  # measure the query and loading, not the identity map
            service.worklist(session, clinic_id, "overdue", today)

        query_only = timed(worklist_query, n)
    year = today.year
    county = f"/api/v1/reports/followup?program=hypertension&period={year}-{today.month:02d}"
    monthly = f"/api/v1/reports/followup/monthly?program=hypertension&year={year}"
    chart = f"/api/v1/reports/followup/chart.png?program=hypertension&year={year}"
    results = [
        ("bare Flask route (baseline)", timed(lambda: client.get("/bench/bare"), n)),
        (
            f"GET /api/v1/follow-ups/overdue ({listed} rows)",
            timed(lambda: client.get("/api/v1/follow-ups/overdue", headers=as_doctor), n),
        ),
        ("service.worklist(…, 'overdue') alone", query_only),
        (
            "GET /api/v1/reports/followup (county)",
            timed(lambda: client.get(county, headers=as_admin), n),
        ),
        (
            f"GET …/followup/monthly ({today.month} months)",
            timed(lambda: client.get(monthly, headers=as_admin), max(10, n // 5)),
        ),
        (
            "GET …/followup/chart.png",
            timed(lambda: client.get(chart, headers=as_admin), max(10, n // 5)),
        ),
    ]
    database.dispose()
    print_results(f"{label}: {patients} patients at VA, seeded in {seeded:.1f} s", results)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    args = parser.parse_args()
    on_each_database(
        args.postgres, lambda url, label: run(url, args.patients, args.requests, label)
    )


if __name__ == "__main__":
    main()
