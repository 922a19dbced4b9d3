"""Stock and a few central-pharmacy orders in the demo.

The central pharmacy holds two lots of every catalog drug, the whole essential medicines list
included (a few of them close to expiry, a few running low); every village clinic holds one lot
of each of the common drugs of its formulary. Lots are keyed by their lot number, so a second
seed finds them and changes nothing.

In the run that creates the population, a dozen patients get a prescription the real service
checks and splits (a drug no clinic stocks, so each becomes an order); some orders are then
picked, one town's picked orders go out in a delivery run and one of those is confirmed
delivered, so the board, the history and the reorder hint all have something to show.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Drug, Facility, FormularyEntry
from gpassist.demo.chronic import DEMO_TODAY
from gpassist.demo.common import SeedResult
from gpassist.errors import Conflict, InvalidField
from gpassist.patients.schemas import EncounterIn
from gpassist.patients.service import record_encounter
from gpassist.patients.tables import Patient, PregnancyStatus
from gpassist.pharmacy import orders, stock
from gpassist.pharmacy.tables import PharmacyOrder, StockLot
from gpassist.prescriptions.schemas import PrescriptionIn
from gpassist.prescriptions.service import create_prescription

# Common formulary drugs every clinic keeps a lot of (the others stay at zero until received).
CLINIC_SHELF = (
    "amlodipine-5mg-tab",
    "nifedipine-sr-20mg-tab",
    "enalapril-10mg-tab",
    "metformin-0.5g-tab",
    "aspirin-100mg-ectab",
    "amoxicillin-0.25g-cap",
    "paracetamol-0.5g-tab",
    "ibuprofen-0.2g-tab",
    "loratadine-10mg-tab",
    "omeprazole-20mg-eccap",
    # 风寒感冒's patent medicine (the TCM panel offers it with one tap for a wind-cold cold)
    "ganmao-qingre-gran-12g",
)
# Central-only drugs the demo prescriptions order (none is in any clinic's formulary).
ORDERED = (
    ("rosuvastatin-10mg-tab", 10, "qn", 7),
    ("clopidogrel-75mg-tab", 75, "qd", 7),
    ("lianhua-qingwen-cap", 4, "tid", 5),
    ("sitagliptin-100mg-tab", 100, "qd", 7),
)
DEMO_ORDERS = 12


def seed_pharmacy(
    session: Session,
    clinics: list[Facility],
    doctors: dict[int, User],
    seed: int,
    result: SeedResult,
) -> None:
    rng = random.Random(seed + 7)
    pharmacist = session.scalar(select(User).where(User.username == "pharmacist"))
    if pharmacist is None:
        return
    _seed_central_stock(session, pharmacist, seed, result)
    _seed_clinic_stock(session, clinics, doctors, result)
    if result.counts["patients"]:  # orders only with a new population (as bills)
        _seed_orders(session, doctors, pharmacist, rng, result)


def _lot_no(prefix: str, code: str, n: int) -> str:
    return f"{prefix}-{zlib.crc32(code.encode()) % 100000:05d}-{n}"


def _receive_once(session, user, facility, drug, lot_no, expires_on, quantity, result) -> None:
    exists = session.scalar(
        select(StockLot.id).where(
            StockLot.facility_id == facility.id,
            StockLot.drug_id == drug.id,
            StockLot.lot_no == lot_no,
        )
    )
    if exists is None:
        stock.receive(session, user, facility, drug, lot_no, expires_on, quantity, DEMO_TODAY)
        result.counts["stock lots"] += 1


def _seed_central_stock(session: Session, pharmacist: User, seed: int, result: SeedResult) -> None:
    """Two lots of every active catalog drug (the whole essential medicines list), received as
    one delivery. Each drug draws from its own generator, so a catalog that grows never shifts
    the lots of the drugs it already had."""
    pharmacy = stock.central_pharmacy(session)
    drugs = session.scalars(select(Drug).where(Drug.active.is_(True)).order_by(Drug.code)).all()
    delivery: list[stock.Delivery] = []
    for drug in drugs:
        rng = random.Random(f"{seed}/{drug.code}")
        near = rng.random() < 0.08
        low = rng.random() < 0.1
        first_expiry = DEMO_TODAY + dt.timedelta(
            days=rng.randint(20, 80) if near else rng.randint(150, 400)
        )
        second_expiry = first_expiry + dt.timedelta(days=rng.randint(180, 540))
        first_qty = rng.randint(3, 12) if low else rng.randint(50, 400)
        second_qty = 0 if low else rng.randint(100, 800)
        delivery.append(stock.Delivery(drug, _lot_no("CP", drug.code, 1), first_expiry, first_qty))
        if second_qty:
            delivery.append(
                stock.Delivery(drug, _lot_no("CP", drug.code, 2), second_expiry, second_qty)
            )
    received = stock.receive_new_lots(session, pharmacist, pharmacy, delivery, DEMO_TODAY)
    if received:  # a second seed reports nothing
        result.counts["stock lots"] += received


def _seed_clinic_stock(
    session: Session, clinics: list[Facility], doctors: dict[int, User], result: SeedResult
) -> None:
    shelf = {
        d.id: d
        for d in session.scalars(
            select(Drug).where(Drug.code.in_(CLINIC_SHELF), Drug.active.is_(True))
        )
    }
    stocked = set(
        session.execute(
            select(FormularyEntry.facility_id, FormularyEntry.drug_id).where(
                FormularyEntry.drug_id.in_(shelf)
            )
        ).all()
    )
    for clinic in clinics:
        doctor = doctors.get(clinic.id)
        if doctor is None:
            continue
        for drug_id, drug in sorted(shelf.items()):
            if (clinic.id, drug_id) not in stocked:
                continue
            spread = zlib.crc32(f"{clinic.code}/{drug.code}".encode())
            _receive_once(
                session,
                doctor,
                clinic,
                drug,
                _lot_no(clinic.code, drug.code, 1),
                DEMO_TODAY + dt.timedelta(days=200 + spread % 300),
                40 + spread % 160,
                result,
            )


def _seed_orders(session: Session, doctors, pharmacist: User, rng, result: SeedResult) -> None:
    if session.scalar(select(PharmacyOrder.id).limit(1)) is not None:
        return
    candidates = list(
        session.scalars(
            select(Patient)
            .where(
                Patient.clinic_id.in_(doctors),
                Patient.pregnancy_status != PregnancyStatus.pregnant,
                Patient.birth_date <= DEMO_TODAY - dt.timedelta(days=365 * 18),
            )
            .order_by(Patient.id)
        ).unique()
    )
    made: list[PharmacyOrder] = []
    for patient in rng.sample(candidates, min(DEMO_ORDERS * 2, len(candidates))):
        if len(made) == DEMO_ORDERS:
            break
        doctor = doctors[patient.clinic_id]
        code, dose, frequency, days = rng.choice(ORDERED)
        encounter = record_encounter(
            session,
            doctor,
            patient.id,
            EncounterIn(chief_complaint="复诊开药 / repeat prescription"),
        )
        data = PrescriptionIn(
            lines=[{"drug": code, "dose": dose, "frequency": frequency, "days": days}],
            urgent=rng.random() < 0.2,
        )
        try:
            with session.begin_nested():
                prescription = create_prescription(session, doctor, encounter.id, data, DEMO_TODAY)
        except InvalidField:
            continue  # this patient's record refuses it (an allergy, a current drug): skip
        order = session.scalar(
            select(PharmacyOrder).where(PharmacyOrder.prescription_id == prescription.id)
        )
        if order is not None:
            made.append(order)
    result.counts["pharmacy orders"] += len(made)
    picked = []
    for order in made[: len(made) // 2]:
        try:
            with session.begin_nested():
                orders.pick(session, pharmacist, order.id, [], DEMO_TODAY)
            picked.append(order)
        except Conflict:
            continue  # a drug running low at the central pharmacy: the order stays pending
    if picked:
        town = session.get(Facility, picked[0].clinic_id).town  # type: ignore[union-attr]
        run = orders.create_delivery_run(session, pharmacist, town.code)
        delivered = session.scalar(
            select(PharmacyOrder).where(PharmacyOrder.delivery_run_id == run.id).limit(1)
        )
        if delivered is not None:
            orders.confirm_delivery(session, doctors[delivered.clinic_id], delivered.id)
    session.flush()
