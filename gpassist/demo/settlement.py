"""Settled bills in the demo: three months of village-clinic counter bills, and a few refunds.

Planned before the database is read, from an RNG derived from the seed: every certified patient
who kept coming gets a monthly chronic-outpatient bill for their programs' drugs; a share of the
others get an ordinary outpatient bill (consultation and a common drug) now and then. Each bill
is settled by the real service (``service.settle_bill``) as the clinic's demo doctor, with an
Idempotency-Key derived from the plan (``demo-<resident ID>-<date>``), so a second seed finds
every settlement in place.

Bills are invented only in the run that creates the population they bill: an existing demo
database (seeded by an older version) keeps the history it has instead of gaining one.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.demo.chronic import DEMO_TODAY, CarePlan
from gpassist.demo.common import SeedResult
from gpassist.demo.population import HouseholdPlan
from gpassist.followup.service import has_certified_chronic_disease
from gpassist.patients.tables import Patient
from gpassist.settlement import service
from gpassist.settlement.policy import VisitType
from gpassist.settlement.schemas import BillIn
from gpassist.settlement.tables import Settlement, SettlementStatus

FIRST_DAY = dt.date(2026, 9, 1)
# A month's supply of each program's drug (one of them per patient, drawn once).
PROGRAM_DRUGS = {
    "hypertension": (
        ("amlodipine-5mg-tab", 28),
        ("nifedipine-sr-20mg-tab", 56),
        ("enalapril-10mg-tab", 28),
    ),
    "diabetes": (("metformin-0.5g-tab", 84), ("glimepiride-1mg-tab", 28)),
}
COMMON_DRUGS = (
    ("amoxicillin-0.5g-cap", 12),
    ("ibuprofen-0.2g-tab", 12),
    ("paracetamol-0.5g-tab", 10),
    ("compound-paracetamol-amantadine-tab", 12),
    ("loratadine-10mg-tab", 7),
    ("omeprazole-20mg-eccap", 14),
    ("lianhua-qingwen-cap", 24),
    ("ambroxol-30mg-tab", 20),
)
CONSULTATION = "consult-general"
OUTPATIENT_SHARE = 0.12  # of the other patients: chance of an ordinary visit in a given month
REFUND_SHARE = 0.04  # of the ordinary bills: refunded the same day (wrong drug, returned)


@dataclass
class BillPlan:
    national_id: str
    clinic_id: int
    day: dt.date
    visit_type: VisitType
    items: list[dict] = field(default_factory=list)
    refunded: bool = False

    @property
    def key(self) -> str:
        return f"demo-{self.national_id}-{self.day.isoformat()}"


def plan_settlements(
    households: list[HouseholdPlan], managed: list[CarePlan], seed: int
) -> list[BillPlan]:
    """Every bill of the three months up to DEMO_TODAY; at most one per patient per day."""
    rng = random.Random(f"{seed}/settlements")
    certified = {
        care.national_id: care
        for care in managed
        if care.certified_on is not None and care.course == "followed"
    }
    months = [(2026, 9), (2026, 10), (2026, 11)]
    plans: list[BillPlan] = []
    for household in households:
        for member in household.members:
            care = certified.get(member.national_id)
            if care is not None:
                drugs = [rng.choice(PROGRAM_DRUGS[code]) for code in care.programs]
                for year, month in months:
                    day = dt.date(year, month, rng.randint(1, 27))
                    plans.append(
                        BillPlan(
                            member.national_id,
                            household.clinic.id,
                            min(day, DEMO_TODAY),
                            VisitType.chronic_outpatient,
                            [{"drug": code, "quantity": qty} for code, qty in drugs],
                        )
                    )
                continue
            for year, month in months:
                visit, day_no = rng.random(), rng.randint(1, 27)
                drug, qty = rng.choice(COMMON_DRUGS)
                refunded = rng.random() < REFUND_SHARE
                if visit >= OUTPATIENT_SHARE:
                    continue
                plans.append(
                    BillPlan(
                        member.national_id,
                        household.clinic.id,
                        min(dt.date(year, month, day_no), DEMO_TODAY),
                        VisitType.outpatient,
                        [{"service": CONSULTATION, "quantity": 1}, {"drug": drug, "quantity": qty}],
                        refunded=refunded,
                    )
                )
    plans.sort(key=lambda p: (p.day, p.national_id))
    return plans


def seed_settlements(
    session: Session, plans: list[BillPlan], doctors: dict[int, User], result: SeedResult
) -> None:
    """Settle (and refund) whatever planned bill has no settlement under its key yet."""
    if not result.counts["patients"]:
        return  # an existing demo keeps its history (see the module docstring)
    patients = {
        p.national_id: p
        for p in session.scalars(
            select(Patient).where(Patient.national_id.in_({plan.national_id for plan in plans}))
        ).unique()
    }
    for plan in plans:
        patient = patients.get(plan.national_id)
        doctor = doctors.get(plan.clinic_id)
        if patient is None or doctor is None:
            continue
        if plan.visit_type == VisitType.chronic_outpatient and not has_certified_chronic_disease(
            session, patient.id, plan.day
        ):
            continue  # the certification is seeded with chronic care; without it, no such bill
        existing = session.scalar(
            select(Settlement.id).where(
                Settlement.idempotency_user_id == doctor.id,
                Settlement.idempotency_key == plan.key,
            )
        )
        if existing is not None:
            continue
        bill = BillIn(
            patient_id=patient.id,
            visit_type=plan.visit_type,
            bill_date=plan.day,
            items=plan.items,
        )
        # The past months are history written as bills (the demo writes no prescriptions for
        # them), so their drug lines are not matched to prescriptions as a counter bill's are.
        settlement, new = service.settle_bill(
            session, doctor, bill, plan.key, DEMO_TODAY, drugs_by_prescription=False
        )
        if not new:
            continue
        result.counts["settlements"] += 1
        if plan.refunded and settlement.status == SettlementStatus.settled:
            service.reverse_settlement(
                session, doctor, settlement.id, plan.day, reason="退药（演示）"
            )
            result.counts["refunds"] += 1
