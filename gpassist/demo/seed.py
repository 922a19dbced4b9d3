"""Seed the demo county: plan everything from the seed, then write what is missing."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.clinics.tables import County, Facility, FacilityKind
from gpassist.db import shanghai_today
from gpassist.demo.chronic import (
    DEMO_TODAY,
    plan_chronic_care,
    point_at_busiest_clinic,
    seed_chronic_care,
)
from gpassist.demo.common import NotADemoCounty, SeedResult
from gpassist.demo.dates import shift_timeline
from gpassist.demo.pharmacy import seed_pharmacy
from gpassist.demo.population import (
    plan_population,
    seed_patients,
    seed_users,
)
from gpassist.demo.settlement import plan_settlements, seed_settlements


def seed_demo(
    session: Session,
    *,
    patients: int = 400,
    seed: int = 20261128,
    today: dt.date | None = None,
) -> SeedResult:
    """Seed demo users, ``patients`` synthetic patients with their care, bills and pharmacy stock
    into the loaded demo county, dated for ``today`` (default: today in Shanghai); what exists is
    kept, so a second run on the same day changes nothing, and a run on a later day moves the
    whole demo on by the days since (``dates.py``).

    Raises ``NotADemoCounty`` when no county is loaded or the loaded one is real.
    """
    today = today or shanghai_today()
    county = session.scalar(select(County).order_by(County.id))  # one per database, but stable
    if county is None:
        raise NotADemoCounty("Load a county first: gpassist load-clinics clinics/demo-county")
    if not county.synthetic:
        raise NotADemoCounty(f"{county.code} is a real county: demo data is never seeded into it.")
    result = SeedResult()
    # Everything is planned as a snapshot of DEMO_TODAY: put what exists back on that day first,
    # write what is missing, then date the whole demo for today.
    dated_for = county.demo_as_of or DEMO_TODAY
    shift_timeline(session, (DEMO_TODAY - dated_for).days)
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
    shift_timeline(session, (today - DEMO_TODAY).days)
    if county.demo_as_of != today:
        county.demo_as_of = today
        result.moved_to = today
    session.flush()
    point_at_busiest_clinic(session, clinics, result, today)
    return result
