"""seed-demo's chronic-disease data: enrolments, a year of follow-ups, referrals, certifications.

Every follow-up must be what the rule engine says about its readings, the enrolments' worklist
fields must match their latest follow-up, the snapshot day (2026-11-28) must have patients on the
overdue and lost lists, and a second seed must change nothing.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from collections import defaultdict

from sqlalchemy import func, select

import gpassist.auth.service
import gpassist.demo.seed
from gpassist.audit.tables import AuditEvent
from gpassist.auth.tables import User
from gpassist.clinics.loader import apply_registry, read_registry
from gpassist.clinics.tables import Facility, FacilityKind
from gpassist.db import SHANGHAI
from gpassist.demo.chronic import DEMO_TODAY, plan_chronic_care
from gpassist.demo.common import demo_doctor_username
from gpassist.demo.population import plan_population
from gpassist.demo.seed import seed_demo
from gpassist.followup.definitions import load_programs
from gpassist.followup.rules import Visit, assess
from gpassist.followup.service import FOLLOW_UP_COMPLAINT, annual_checks_due, worklist
from gpassist.followup.tables import (
    AnnualCheck,
    ChronicCertification,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
)
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Encounter, Patient
from gpassist.referrals.tables import Referral, ReferralSource, ReferralStatus
from tests.conftest import DEMO_COUNTY, DEMO_PATIENTS, password_hash

SEED = 20261128  # seed_demo's default
TABLES = (Enrolment, FollowUp, Referral, ChronicCertification, Encounter, Patient, AuditEvent)


def count(session, table) -> int:
    return session.scalar(select(func.count()).select_from(table))


def test_enrolments_in_both_programs_with_a_year_of_follow_ups(seeded_demo):
    session, result = seeded_demo
    enrolments = session.scalars(select(Enrolment)).all()
    assert {e.program for e in enrolments} == {"hypertension", "diabetes"}
    assert all(e.status == EnrolmentStatus.active for e in enrolments)
    for what, table in [
        ("enrolments", Enrolment),
        ("follow-ups", FollowUp),
        ("referrals", Referral),
        ("certifications", ChronicCertification),
    ]:
        assert result.counts[what] == count(session, table) > 0, what
    assert "enrolments" in result.summary() and "follow-ups" in result.summary()
    visits = session.scalars(select(FollowUp.visit_date)).all()
    assert min(visits) < dt.date(2025, 11, 1) and max(visits) <= DEMO_TODAY
    assert max(visits) > DEMO_TODAY - dt.timedelta(days=30)
    # Everyone enrolled is ≥ 35, with the program's diagnosis confirmed by the enrolment day.
    programs = load_programs()
    for enrolment in enrolments:
        patient = session.get(Patient, enrolment.patient_id)
        assert age_on(patient.birth_date, enrolment.enrolled_on) >= 35
        enrolment_day_end = dt.datetime.combine(
            enrolment.enrolled_on + dt.timedelta(days=1), dt.time(), SHANGHAI
        )
        diagnosed_by_then = session.scalars(
            select(Encounter.diagnoses).where(
                Encounter.patient_id == patient.id, Encounter.occurred_at < enrolment_day_end
            )
        ).all()
        icd10 = tuple(programs[enrolment.program].eligibility.icd10)
        assert any(code.startswith(icd10) for codes in diagnosed_by_then for code in codes)


def test_every_follow_up_is_what_the_rules_say(seeded_demo):
    session, _ = seeded_demo
    programs = load_programs()
    by_enrolment = defaultdict(list)
    for follow_up in session.scalars(select(FollowUp).order_by(FollowUp.visit_date, FollowUp.id)):
        by_enrolment[follow_up.enrolment_id].append(follow_up)
    for enrolment in session.scalars(select(Enrolment)):
        history = by_enrolment[enrolment.id]
        assert history, "every enrolment has at least its first follow-up"
        assert history[0].visit_date == enrolment.enrolled_on
        patient = session.get(Patient, enrolment.patient_id)
        doctor = session.scalar(
            select(User).where(User.username == demo_doctor_username(patient.clinic.code))
        )
        previous = None
        for follow_up in history:
            visit = Visit(
                date=follow_up.visit_date,
                sbp=follow_up.sbp,
                dbp=follow_up.dbp,
                fasting_glucose=follow_up.fasting_glucose,
                heart_rate=follow_up.heart_rate,
                temperature=follow_up.temperature,
                adverse_reaction=follow_up.adverse_reaction,
                new_complication=follow_up.new_complication,
                symptoms=frozenset(follow_up.symptoms),
            )
            expected = assess(
                programs[enrolment.program],
                age_on(patient.birth_date, follow_up.visit_date),
                visit,
                previous,
            )
            assert follow_up.classification == expected.classification
            assert follow_up.next_due == expected.next_due
            assert follow_up.urgent_referral == expected.urgent_referral
            assert follow_up.referral == expected.referral
            assert follow_up.reasons == list(expected.reasons)
            previous = expected.classification

            encounter = session.get(Encounter, follow_up.encounter_id)
            assert encounter.patient_id == patient.id
            assert encounter.chief_complaint == FOLLOW_UP_COMPLAINT
            assert encounter.occurred_at.astimezone(SHANGHAI).date() == follow_up.visit_date
            assert 8 <= encounter.occurred_at.astimezone(SHANGHAI).hour < 12
            assert (encounter.sbp, encounter.dbp) == (follow_up.sbp, follow_up.dbp)
            assert encounter.glucose_mmol_l == follow_up.fasting_glucose
            assert encounter.doctor_id == follow_up.recorded_by_id == doctor.id

        latest = history[-1]
        assert enrolment.next_due == latest.next_due
        assert enrolment.last_follow_up_on == latest.visit_date
        assert enrolment.last_classification == latest.classification
        assert enrolment.last_urgent == latest.urgent_referral
        assert enrolment.last_referral == latest.referral
        assert (enrolment.last_sbp, enrolment.last_dbp) == (latest.sbp, latest.dbp)
        assert enrolment.last_fasting_glucose == latest.fasting_glucose
        for earlier, later in itertools.pairwise(history):
            assert earlier.visit_date < later.visit_date


def test_referrals_are_opened_when_the_rules_say_so(seeded_demo):
    session, _ = seeded_demo
    referring = session.scalars(
        select(FollowUp).where(FollowUp.referral.is_(True) | FollowUp.urgent_referral.is_(True))
    ).all()
    referrals = {
        r.source_id: r
        for r in session.scalars(select(Referral).where(Referral.source == ReferralSource.followup))
    }
    assert referring and len(referrals) == len(referring) == count(session, Referral)
    departments = {"hypertension": "cardiology", "diabetes": "endocrinology"}
    for follow_up in referring:
        referral = referrals[follow_up.id]
        assert referral.patient_id == follow_up.patient_id
        assert referral.urgent == follow_up.urgent_referral
        assert referral.reasons == follow_up.reasons
        assert referral.department.code == departments[follow_up.program]
        assert referral.department.facility.code == "CH"
        assert referral.created_by_id == follow_up.recorded_by_id
    assert any(r.urgent for r in referrals.values())
    assert any("uncontrolled_twice" in r.reasons for r in referrals.values())
    # The specialist closed every referral but the latest of each history (the patient came back).
    for follow_up in referring:
        referral = referrals[follow_up.id]
        later_visit = session.scalar(
            select(FollowUp.id).where(
                FollowUp.enrolment_id == follow_up.enrolment_id,
                FollowUp.visit_date > follow_up.visit_date,
            )
        )
        assert (referral.status == ReferralStatus.closed) == (later_visit is not None)
        if later_visit is not None:
            assert referral.outcome == "plan_adjusted" and referral.closed_by_id is not None


def test_the_snapshot_day_has_overdue_and_lost_patients(seeded_demo):
    session, _ = seeded_demo
    today = dt.date(2026, 11, 28)
    assert today == DEMO_TODAY
    clinics = sorted({e.clinic_id for e in session.scalars(select(Enrolment))})
    lists = {
        kind: [e for clinic in clinics for e in worklist(session, clinic, kind, today)]
        for kind in ("overdue", "lost", "due_this_week")
    }
    assert lists["overdue"] and lists["lost"]
    patients = {e.patient_id for e in session.scalars(select(Enrolment))}
    overdue = {e.patient_id for e in lists["overdue"]}
    lost = {e.patient_id for e in lists["lost"]}
    # About 15-20% stopped coming during 2026, ~3% in 2025; a few more are late for a recheck.
    assert 0.12 <= len(overdue) / len(patients) <= 0.30
    assert 1 <= len(lost) <= max(2, 0.08 * len(patients))
    for enrolment in lists["lost"]:
        assert enrolment.last_follow_up_on < dt.date(2025, 11, 1)


def test_certifications_for_about_half_the_enrolled_poor(seeded_demo):
    session, _ = seeded_demo
    enrolled = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_(select(Enrolment.patient_id)))
        ).unique()
    }
    poor = {pid for pid, p in enrolled.items() if p.poverty_registered}
    certifications = session.scalars(select(ChronicCertification)).all()
    certified = {c.patient_id for c in certifications}
    assert certified and certified <= poor
    assert 0.25 <= len(certified) / len(poor) <= 0.75
    enrolments = {(e.patient_id, e.program) for e in session.scalars(select(Enrolment))}
    for c in certifications:
        assert (c.patient_id, c.disease) in enrolments
        assert c.certified_on.year == 2025
        assert session.get(Facility, c.certifying_facility_id).code == "CH"


def test_a_second_seed_changes_nothing(seeded_demo):
    session, first = seeded_demo
    before = {table.__tablename__: count(session, table) for table in TABLES}
    snapshot = sorted(
        (e.patient_id, e.program, e.next_due, e.last_classification)
        for e in session.scalars(select(Enrolment))
    )
    again = seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    session.flush()
    assert not again.counts and again.summary() == "already in place, nothing changed"
    assert {table.__tablename__: count(session, table) for table in TABLES} == before
    assert snapshot == sorted(
        (e.patient_id, e.program, e.next_due, e.last_classification)
        for e in session.scalars(select(Enrolment))
    )
    assert again.logins == first.logins


# Smaller than the shared demo: this test seeds its own county twice.
OLDER_DEMO_PATIENTS = 150


def test_a_demo_seeded_before_follow_ups_existed_gains_them(db_session, monkeypatch):
    """An older demo database (patients, no enrolments) is completed, and only that is written."""
    monkeypatch.setattr(gpassist.auth.service, "hash_password", lambda _password: password_hash())
    apply_registry(db_session, read_registry(DEMO_COUNTY))
    with monkeypatch.context() as patch:
        patch.setattr(gpassist.demo.seed, "seed_chronic_care", lambda *args: None)
        older = seed_demo(db_session, patients=OLDER_DEMO_PATIENTS)
    assert older.counts["patients"] == OLDER_DEMO_PATIENTS and "enrolments" not in older.counts
    patients = count(db_session, Patient)

    upgrade = seed_demo(db_session, patients=OLDER_DEMO_PATIENTS)
    db_session.flush()
    assert set(upgrade.counts) == {
        "enrolments",
        "follow-ups",
        "encounters",
        "referrals",
        "certifications",
        "annual checks",
    }
    assert count(db_session, Patient) == patients
    clinics = db_session.scalars(
        select(Facility)
        .where(Facility.kind == FacilityKind.village_clinic, Facility.active.is_(True))
        .order_by(Facility.code)
    ).all()
    plans = plan_chronic_care(
        plan_population(clinics, OLDER_DEMO_PATIENTS, random.Random(SEED)), SEED
    )
    assert upgrade.counts["enrolments"] == sum(len(p.programs) for p in plans)
    assert upgrade.counts["follow-ups"] == sum(len(p.programs) * len(p.visits) for p in plans)
    assert upgrade.counts["encounters"] == sum(len(p.visits) for p in plans)
    assert (
        seed_demo(db_session, patients=OLDER_DEMO_PATIENTS).summary()
        == "already in place, nothing changed"
    )


def lists_on(session, today: dt.date) -> dict[str, list[tuple[int, str, int]]]:
    """Every clinic's morning lists on ``today``: (patient, program, days from today to due)."""
    clinics = sorted({e.clinic_id for e in session.scalars(select(Enrolment))})
    return {
        kind: sorted(
            (e.patient_id, e.program, (e.next_due - today).days)
            for clinic in clinics
            for e in worklist(session, clinic, kind, today)
        )
        for kind in ("due_today", "due_this_week", "overdue", "lost")
    }


def test_the_fullest_demo_doctor_has_several_patients_due_on_the_day(seeded_demo):
    session, result = seeded_demo
    fullest = next(name for name, what in result.logins if "busiest" in what)
    assert fullest == "doctor-v09-03"  # as the README says
    clinic = session.scalar(select(Facility).where(Facility.code == "V09-03"))
    due = worklist(session, clinic.id, "due_today", DEMO_TODAY)
    assert len(due) >= 3
    assert any(e.program == "hypertension" for e in due)
    lists = lists_on(session, DEMO_TODAY)
    assert all(lists.values()), "every list has patients on the day"
    # Due this week has patients besides today's too.
    assert any(days > 0 for _, _, days in lists["due_this_week"])


def test_a_later_run_moves_the_demo_to_its_day_and_the_same_day_changes_nothing(seeded_demo):
    session, _ = seeded_demo
    before = lists_on(session, DEMO_TODAY)
    counts = {table.__tablename__: count(session, table) for table in TABLES}
    first_visit = session.scalar(select(func.min(FollowUp.visit_date)))
    later = DEMO_TODAY + dt.timedelta(days=45)  # over the new year

    moved = seed_demo(session, patients=DEMO_PATIENTS, today=later)
    session.flush()
    assert not moved.counts and moved.moved_to == later
    assert "moved to" in moved.summary()
    after = lists_on(session, later)
    for kind in ("due_today", "due_this_week"):
        assert after[kind] == before[kind], kind
    # Overdue and lost are months apart, so a patient near the line may cross it; none is lost.
    assert sorted(after["overdue"] + after["lost"]) == sorted(before["overdue"] + before["lost"])
    assert session.scalar(select(func.min(FollowUp.visit_date))) == first_visit + dt.timedelta(45)
    assert session.scalar(select(func.max(FollowUp.visit_date))) < later
    now = {table.__tablename__: count(session, table) for table in TABLES}
    # Moving the demo writes one row of its own, the county's demo_as_of, which the audit log
    # records once its listener is installed (by any app in this process): nothing else is new.
    new_events = session.scalars(
        select(AuditEvent.entity).order_by(AuditEvent.id).offset(counts["audit_events"])
    ).all()
    assert set(new_events) <= {"counties"} and len(new_events) <= 1
    assert {**now, "audit_events": counts["audit_events"]} == counts
    assert "due" in next(what for _, what in moved.logins if "busiest" in what)

    again = seed_demo(session, patients=DEMO_PATIENTS, today=later)
    session.flush()
    assert again.summary() == "already in place, nothing changed"
    assert lists_on(session, later) == after

    seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    session.flush()
    assert lists_on(session, DEMO_TODAY) == before
    assert session.scalar(select(func.min(FollowUp.visit_date))) == first_visit


def test_every_demo_follow_up_carries_the_standards_record(seeded_demo):
    session, _ = seeded_demo
    for follow_up in session.scalars(select(FollowUp)):
        record = follow_up.record
        assert record["adherence"] in ("regular", "intermittent", "none")
        assert 15 <= record["bmi"] <= 35
        assert ("salt" in record) == (follow_up.program == "hypertension")
        assert ("staple_food_g_per_day" in record) == (follow_up.program == "diabetes")


def test_most_managed_patients_had_this_years_health_check_at_a_spring_visit(seeded_demo):
    """The today page's 今年未做年度体检 is the short list of a clinic in late autumn, not every
    managed patient: about three in four were checked this year, at one of their own visits."""
    session, result = seeded_demo
    checks = session.scalars(select(AnnualCheck)).all()
    assert result.counts["annual checks"] == len(checks) > 0
    managed = {e.patient_id: e.clinic_id for e in session.scalars(select(Enrolment))}
    this_year = {c.patient_id for c in checks if c.year == DEMO_TODAY.year}
    assert 0.55 <= len(this_year) / len(managed) <= 0.85
    assert any(c.year == DEMO_TODAY.year - 1 for c in checks)
    for check in checks:
        assert check.year == check.check_date.year and 3 <= check.check_date.month <= 6
        if check.year < DEMO_TODAY.year:  # at the township health centre, before enrolment
            assert check.encounter_id is None
            continue
        encounter = session.get(Encounter, check.encounter_id)
        assert encounter.patient_id == check.patient_id
        assert encounter.occurred_at.astimezone(SHANGHAI).date() == check.check_date
    due = {
        d.patient.id
        for clinic in set(managed.values())
        for d in annual_checks_due(session, clinic, DEMO_TODAY)
    }
    assert due == set(managed) - this_year


def test_a_health_check_moved_into_another_year_counts_for_that_year(seeded_demo):
    """Opened eight months later, spring checks move into the next year: the year that says
    whether a check is still due follows the date, and moving back restores it."""
    session, _ = seeded_demo
    before = {c.id: c.year for c in session.scalars(select(AnnualCheck))}
    seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY + dt.timedelta(days=250))
    session.flush()
    moved = session.scalars(select(AnnualCheck)).all()
    assert all(c.year == c.check_date.year for c in moved)
    assert any(c.year != before[c.id] for c in moved)
    seed_demo(session, patients=DEMO_PATIENTS, today=DEMO_TODAY)
    session.flush()
    assert {c.id: c.year for c in session.scalars(select(AnnualCheck))} == before
