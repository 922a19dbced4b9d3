"""Settlements per second against the plain insert rate of the same database, in the same run.

    .venv/bin/python bench/settlement.py [--settlements 500] [--patients 50] [--postgres URL]

In-process: ``service.settle_bill`` with one transaction per settlement (as the counter does),
over bills for ``--patients`` patients (half poverty-registered and certified, billed as chronic
outpatients). The baseline is one single-row INSERT + COMMIT per transaction into a scratch table
of the same database, as many times. The ratio is the cost of our logic: lookups, the payer chain,
the bill, its lines, five shares, the ledger and its journal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

from common import on_each_database  # puts the project root on sys.path
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from gpassist.all_tables import metadata
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Facility
from gpassist.db import Database
from gpassist.followup.tables import ChronicCertification
from gpassist.patients.tables import Household, Patient, PregnancyStatus, Sex
from gpassist.settlement import service
from gpassist.settlement.schemas import BillIn
from tests.conftest import MINI_COUNTY, make_users

TODAY = dt.date(2026, 11, 28)


def prepare(database: Database, patients: int):
    metadata.create_all(database.engine)
    with database.transaction(actor="bench") as session:
        apply_registry(session, read_registry(MINI_COUNTY))
        doctor = make_users(session)["doctor_a"]
        county_hospital = session.query(Facility.id).filter_by(code="CH").scalar()
        ids = []
        for i in range(patients):
            poor = i % 2 == 0
            household = Household(
                clinic_id=doctor.clinic_id,
                code=f"BENCH-{i}",
                head_name=f"户主{i}",
                poverty_registered=poor,
            )
            session.add(household)
            session.flush()
            patient = Patient(
                clinic_id=doctor.clinic_id,
                household_id=household.id,
                name=f"病人{i}",
                name_initials="br",
                sex=Sex.female if i % 3 else Sex.male,
                birth_date=dt.date(1950 + i % 20, 1, 1),
                village="bench",
                pregnancy_status=PregnancyStatus.not_applicable,
                drug_allergies=[],
            )
            session.add(patient)
            session.flush()
            if poor:
                session.add(
                    ChronicCertification(
                        patient_id=patient.id,
                        disease="hypertension",
                        icd10="I10",
                        certified_on=dt.date(2025, 1, 1),
                        certifying_facility_id=county_hospital,
                        recorded_by_id=doctor.id,
                    )
                )
            ids.append((patient.id, poor))
    return doctor, ids


def bills(ids: list[tuple[int, bool]], n: int) -> list[BillIn]:
    out = []
    for i in range(n):
        patient_id, poor = ids[i % len(ids)]
        out.append(
            BillIn(
                patient_id=patient_id,
                visit_type="chronic_outpatient" if poor else "outpatient",
                bill_date=dt.date(2026, 1, 1) + dt.timedelta(days=i * 331 // n),
                items=[
                    {"drug": "amlodipine-5mg-tab", "quantity": 28},
                    {"service": "consult-general", "quantity": 1},
                ],
            )
        )
    return out


def rate(call, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        call(i)
    return n / (time.perf_counter() - start)


def run(database_url: str, n: int, patients: int, label: str) -> tuple[float, float]:
    database = Database(database_url)
    doctor, ids = prepare(database, patients)
    scratch = Table(
        "bench_scratch",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("payload", String(64)),
    )
    scratch.create(database.engine)

    def plain_insert(i: int) -> None:
        with database.engine.begin() as connection:
            connection.execute(insert(scratch).values(payload=f"row {i}"))

    planned = bills(ids, n)

    def settle(i: int) -> None:
        with database.transaction(actor="bench") as session:
            user = session.merge(doctor, load=False)
            service.settle_bill(session, user, planned[i], f"bench-{i}", TODAY)

    plain = rate(plain_insert, n)
    settled = rate(settle, n)
    database.dispose()
    print(f"\n{label}")
    print(f"{'what':40} {'per second':>11} {'ms each':>8}")
    print(f"{'INSERT + COMMIT, one row (baseline)':40} {plain:11.0f} {1000 / plain:8.2f}")
    print(f"{'settle_bill, one transaction':40} {settled:11.0f} {1000 / settled:8.2f}")
    print(f"ratio (baseline / settlement rate): {plain / settled:.1f}x")
    return plain, settled


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--settlements", type=int, default=500)
    parser.add_argument("--patients", type=int, default=50)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    args = parser.parse_args()
    on_each_database(
        args.postgres, lambda url, label: run(url, args.settlements, args.patients, label)
    )


if __name__ == "__main__":
    main()
