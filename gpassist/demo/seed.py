"""Seed the demo county: plan everything from the seed, then write what is missing."""

from __future__ import annotations

import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import County, Facility, FacilityKind
from gpassist.demo.chronic import (
    plan_chronic_care,
    point_at_busiest_clinic,
    seed_chronic_care,
)
from gpassist.demo.common import NotADemoCounty, SeedResult
from gpassist.demo.pharmacy import seed_pharmacy
from gpassist.demo.population import (
    plan_population,
    seed_patients,
    seed_users,
)
from gpassist.demo.settlement import plan_settlements, seed_settlements


def seed_demo(session: Session, *, patients: int = 400, seed: int = 20261128) -> SeedResult:
    """Seed demo users, ``patients`` synthetic patients with their care, bills and pharmacy stock
    into the loaded demo county; what exists is kept, so a second run changes nothing.

    Raises ``NotADemoCounty`` when no county is loaded or the loaded one is real.
    """
    county = session.scalar(select(County))
    if county is None:
        raise NotADemoCounty("Load a county first: gpassist load-clinics clinics/demo-county")
    if not county.synthetic:
        raise NotADemoCounty(f"{county.code} is a real county: demo data is never seeded into it.")
    result = SeedResult()
    clinics = list(
        session.scalars(
            select(Facility)
            .where(Facility.kind == FacilityKind.village_clinic, Facility.active.is_(True))
            .order_by(Facility.code)
        )
    )
    doctors = seed_users(session, clinics, result)
    # Plan everything before looking at what exists, so the draws are the same on every run.
    households = plan_population(clinics, patients, random.Random(seed))
    managed = plan_chronic_care(households, seed)
    seed_patients(session, households, doctors, result)
    seed_chronic_care(session, managed, doctors, result)
    seed_settlements(session, plan_settlements(households, managed, seed), doctors, result)
    seed_pharmacy(session, clinics, doctors, seed, result)
    session.flush()
    point_at_busiest_clinic(session, clinics, result)
    return result
