"""The dispatch board with 5,000 open orders, against a plain SELECT of the same rows measured in
the same run.

    .venv/bin/python bench/pharmacy.py [--orders 5000] [--requests 30] [--postgres URL]

Bulk-loads ``--orders`` open central-pharmacy orders (70 % pending, 30 % picked; one in ten
urgent, one in five free delivery; one to three lines each) for patients of the mini county's
three clinics in two towns. Then times, median of ``--requests`` calls after warm-up:
- baseline: one Core SELECT of the open orders joined with their lines (the same rows the board
  shows, as plain tuples);
- ``board.dispatch_board(session)``: the service (orders with clinic, town and patient name, their
  lines and drugs, grouped by town, urgent first);
- ``GET /api/v1/pharmacy/board`` as the pharmacist, in-process through the WSGI test client
  (token check, the service, pydantic serialization of every order and line, JSON).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random

from common import on_each_database, print_results, timed  # puts the project root on sys.path
from sqlalchemy import insert, select

from gpassist import create_app
from gpassist.all_tables import metadata
from gpassist.auth.service import issue_token
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Drug, Facility
from gpassist.db import utcnow
from gpassist.patients.tables import Encounter, Patient, PregnancyStatus, Sex
from gpassist.pharmacy import board
from gpassist.pharmacy.states import OrderStatus
from gpassist.pharmacy.tables import OrderLine, PharmacyOrder
from gpassist.prescriptions.tables import LineSource, Prescription, PrescriptionLine
from tests.conftest import MINI_COUNTY, make_users

PATIENTS = 600


def seed(database, n_orders: int) -> str:
    """Load the county, users and ``n_orders`` open orders; returns the pharmacist's token."""
    rng = random.Random(2026)
    metadata.create_all(database.engine)
    with database.transaction(actor="bench") as session:
        apply_registry(session, read_registry(MINI_COUNTY))
        users = make_users(session)
        token = issue_token(session, users["pharmacist"], ttl=dt.timedelta(hours=2)).token
        clinics = {f.code: f for f in session.scalars(select(Facility))}
        doctors = {"VA": users["doctor_a"], "VB": users["doctor_b"], "VC": users["doctor_b"]}
        drugs = list(session.scalars(select(Drug)))
        now = utcnow()
        codes = ["VA", "VB", "VC"]
        patient_rows = [
            {
                "clinic_id": clinics[codes[i % 3]].id,
                "name": f"病人{i}",
                "name_initials": "br",
                "sex": Sex.male,
                "birth_date": dt.date(1950 + i % 40, 1, 1),
                "village": "bench",
                "drug_allergies": [],
                "pregnancy_status": PregnancyStatus.not_applicable,
                "created_at": now,
            }
            for i in range(PATIENTS)
        ]
        session.execute(insert(Patient), patient_rows)
        patients = list(session.execute(select(Patient.id, Patient.clinic_id)).all())
        clinic_code = {f.id: f.code for f in clinics.values()}
        session.execute(
            insert(Encounter),
            [
                {
                    "patient_id": pid,
                    "clinic_id": cid,
                    "doctor_id": doctors[clinic_code[cid]].id,
                    "occurred_at": now,
                    "chief_complaint": "开药",
                    "symptoms": [],
                    "diagnoses": [],
                    "created_at": now,
                }
                for pid, cid in patients
            ],
        )
        encounters = dict(session.execute(select(Encounter.patient_id, Encounter.id)).all())
        plans = [patients[i % len(patients)] for i in range(n_orders)]
        session.execute(
            insert(Prescription),
            [
                {
                    "encounter_id": encounters[pid],
                    "patient_id": pid,
                    "clinic_id": cid,
                    "doctor_id": doctors[clinic_code[cid]].id,
                    "issued_on": now.date(),
                    "urgent": False,
                    "total_fen": 0,
                    "created_at": now,
                }
                for pid, cid in plans
            ],
        )
        prescriptions = list(
            session.execute(
                select(Prescription.id, Prescription.patient_id, Prescription.clinic_id).order_by(
                    Prescription.id
                )
            ).all()
        )
        lines_per = [rng.randint(1, 3) for _ in prescriptions]
        session.execute(
            insert(PrescriptionLine),
            [
                {
                    "prescription_id": rx_id,
                    "line_no": k + 1,
                    "drug_id": drugs[(rx_id + k) % len(drugs)].id,
                    "dose": 1.0,
                    "frequency": "qd",
                    "days": 7,
                    "quantity": 7,
                    "source": LineSource.central,
                    "unit_price_fen": 100,
                }
                for (rx_id, _p, _c), n in zip(prescriptions, lines_per, strict=True)
                for k in range(n)
            ],
        )
        session.execute(
            insert(PharmacyOrder),
            [
                {
                    "prescription_id": rx_id,
                    "patient_id": pid,
                    "clinic_id": cid,
                    "town_id": next(f.town_id for f in clinics.values() if f.id == cid),
                    "status": OrderStatus.pending if rng.random() < 0.7 else OrderStatus.picked,
                    "urgent": rng.random() < 0.1,
                    "free_delivery": rng.random() < 0.2,
                    "created_at": now - dt.timedelta(minutes=i),
                    "updated_at": now,
                }
                for i, (rx_id, pid, cid) in enumerate(prescriptions)
            ],
        )
        order_of = dict(
            session.execute(select(PharmacyOrder.prescription_id, PharmacyOrder.id)).all()
        )
        rx_lines = session.execute(
            select(
                PrescriptionLine.id,
                PrescriptionLine.prescription_id,
                PrescriptionLine.line_no,
                PrescriptionLine.drug_id,
            )
        ).all()
        session.execute(
            insert(OrderLine),
            [
                {
                    "order_id": order_of[rx_id],
                    "line_no": no,
                    "prescription_line_id": line_id,
                    "drug_id": drug_id,
                    "quantity": 7,
                }
                for line_id, rx_id, no, drug_id in rx_lines
            ],
        )
    return token


def run(url: str, label: str, n_orders: int, requests: int) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LOG_LEVEL": "WARNING"})
    database = app.extensions["gpassist.db"]
    token = seed(database, n_orders)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    open_rows = (
        select(
            PharmacyOrder.id,
            PharmacyOrder.status,
            PharmacyOrder.urgent,
            PharmacyOrder.free_delivery,
            PharmacyOrder.town_id,
            PharmacyOrder.clinic_id,
            PharmacyOrder.created_at,
            OrderLine.line_no,
            OrderLine.drug_id,
            OrderLine.quantity,
        )
        .join(OrderLine, OrderLine.order_id == PharmacyOrder.id)
        .where(PharmacyOrder.status.in_([OrderStatus.pending, OrderStatus.picked]))
    )

    def plain_select() -> None:
        with database.engine.connect() as connection:
            connection.execute(open_rows).all()

    def service_board() -> None:
        with database.read_sessionmaker() as session:
            groups = board.dispatch_board(session)
            assert sum(len(g.pending) + len(g.picked) for g in groups) == n_orders

    def http_board() -> None:
        response = client.get("/api/v1/pharmacy/board", headers=headers)
        assert response.status_code == 200

    body = client.get("/api/v1/pharmacy/board", headers=headers).get_json()
    with database.engine.connect() as connection:
        n_rows = len(connection.execute(open_rows).all())
    results = [
        (
            f"plain SELECT of the {n_rows} open order lines (baseline)",
            timed(plain_select, requests),
        ),
        ("board.dispatch_board(session)", timed(service_board, requests)),
        ("GET /api/v1/pharmacy/board (pharmacist)", timed(http_board, requests)),
    ]
    print_results(
        f"{label}: {body['pending_count']} pending + {body['picked_count']} picked orders, "
        f"{len(body['towns'])} towns",
        results,
    )
    database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--postgres", help="also run on this PostgreSQL server URL")
    args = parser.parse_args()
    on_each_database(args.postgres, lambda url, label: run(url, label, args.orders, args.requests))


if __name__ == "__main__":
    main()
