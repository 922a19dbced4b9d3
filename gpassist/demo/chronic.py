"""Chronic-disease management in the demo: enrolments, a year of follow-ups, referrals,
certifications.

Planned before the database is read: each eligible patient's enrolment, follow-ups up to
``DEMO_TODAY`` and certification are drawn from an RNG derived from the seed and the patient's
resident ID; who drops out and how well controlled each patient is are spread by rank over those
draws. Every follow-up is classified, and its next due date computed, by the real rule engine
(``gpassist.followup.rules.assess``); an enrolment is written with its whole history or not at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import random
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import User
from gpassist.clinics.tables import Department, Facility, FacilityKind
from gpassist.db import SHANGHAI
from gpassist.demo.common import SeedResult, demo_doctor_username
from gpassist.demo.population import HouseholdPlan, PatientPlan
from gpassist.followup.definitions import Program, load_programs
from gpassist.followup.rules import OTHERWISE_INTERVAL, Assessment, Classification, Visit, assess
from gpassist.followup.schemas import FollowUpRecord
from gpassist.followup.service import (
    FOLLOW_UP_COMPLAINT,
    apply_outcome,
    lost_cutoff,
    new_follow_up,
)
from gpassist.followup.tables import (
    AnnualCheck,
    ChronicCertification,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
)
from gpassist.patients.schemas import age_on
from gpassist.patients.tables import Encounter, Patient, PregnancyStatus, Sex
from gpassist.referrals.service import ReferralOutcome, county_department, open_referral
from gpassist.referrals.tables import Referral, ReferralSource, ReferralStatus

DEMO_TODAY = dt.date(2026, 11, 28)
"""The day the demo is a snapshot of. Follow-up histories are drawn up to this day and never past
it, so seed-demo writes the same rows whenever it runs (a clock-dependent timeline would make a
second run on another day disagree with the first). Opened on a later day, the lists show the
snapshot's patients as further overdue, as a clinic left alone would."""

DUE_TODAY_SHARE = 0.5  # of each clinic's followed patients (rounded up): due on DEMO_TODAY
LOST_SHARE = 0.03  # stopped coming in 2025: overdue more than 12 months at DEMO_TODAY ('lost')
DROPPED_SHARE = 0.15  # stopped coming during 2026: overdue at DEMO_TODAY
CERTIFIED_SHARE = 0.5  # of the enrolled poverty-registered patients (门诊慢特病认定)
# The yearly health check (年度健康体检) of managed patients: most had it this year at a spring or
# summer follow-up, some only last spring, a few never, so the today page's list of those still
# due is the short one a clinic has in late autumn. Drawn from the resident ID, not the RNG, so the
# follow-up draws stay as they were.
CHECKED_THIS_YEAR_SHARE = 0.75
CHECKED_LAST_YEAR_SHARE = 0.12
CHECK_MONTHS = range(3, 7)  # March to June: a later demo day never moves them into another year
CERTIFYING_HOSPITAL = "CH"
EARLIEST_ENROLMENT = dt.date(2025, 1, 6)  # the lost were enrolled early in 2025, the rest late

# Per patient, the chance that a follow-up's readings are on target (drawn once per patient), and
# how much it rises after an off-target visit (the doctor adjusts the treatment).
CONTROL_PROPENSITY = {
    "hypertension": (0.9, 0.85, 0.75, 0.65, 0.55, 0.4, 0.3),
    "diabetes": (0.85, 0.75, 0.6, 0.5, 0.4, 0.3, 0.2),
}
AFTER_ADJUSTMENT = 0.1
AFTER_REFERRAL = 0.25  # the specialist changed the treatment
LAST_VISIT_OFF_TARGET = 0.8  # of those who stop coming: their last visit was off target
URGENT_READING, URGENT_SYMPTOM = 0.012, 0.006  # per visit
ADVERSE_REACTION, NEW_COMPLICATION = 0.025, 0.01  # per visit
# Days between the due date and the visit: mostly on time or a few days late; the two-week
# recheck after an off-target visit is often put off (so the uncontrolled stay so for longer).
DELAYS = (-3, -2, -1, 0, 0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 7, 10)
RECHECK_DELAYS = (0, 0, 1, 2, 3, 5, 7, 10, 14, 21, 30)

SYMPTOMS = {
    "hypertension": ("severe_headache", "severe_dizziness", "chest_tightness", "blurred_vision"),
    "diabetes": ("polydipsia", "polyuria", "palpitations", "sweating"),
}
ADJUSTMENTS = {
    "hypertension": (
        "氨氯地平加量至 10mg 每日一次",
        "加用氢氯噻嗪 12.5mg 每日一次",
        "加用缬沙坦 80mg 每日一次",
        "嘱低盐饮食，规律服药，两周后复测",
    ),
    "diabetes": (
        "二甲双胍加量至 0.5g 每日三次",
        "加用格列美脲 1mg 每日一次",
        "嘱控制主食，餐后散步，两周后复测",
    ),
}
ADVERSE_REACTIONS = {
    "hypertension": (
        ("服用氨氯地平后双踝水肿", "停用氨氯地平，换用缬沙坦 80mg 每日一次"),
        ("服用依那普利后持续干咳", "停用依那普利，换用氯沙坦 50mg 每日一次"),
    ),
    "diabetes": (
        ("服用二甲双胍后腹胀、腹泻", "二甲双胍改为餐中服用，减量至 0.25g 每日三次"),
        ("服用格列美脲后午前心慌、出汗，自测血糖偏低", "格列美脲减量至 0.5mg 每日一次"),
    ),
}
# In pregnancy and lactation: no ACE inhibitors or ARBs; insulin rather than tablets.
PREGNANCY_ADJUSTMENTS = {
    "hypertension": ("加用拉贝洛尔 100mg 每日两次",),
    "diabetes": ("请县医院内分泌科评估胰岛素治疗",),
}
PREGNANCY_ADVERSE_REACTIONS = {
    "hypertension": (("服用硝苯地平缓释片后头痛、面部潮红", "换用拉贝洛尔 100mg 每日两次"),),
    "diabetes": (("注射胰岛素后午前心慌、出汗，自测血糖偏低", "胰岛素减量，请县医院内分泌科调整"),),
}
COMPLICATIONS = {
    "hypertension": ("尿微量白蛋白阳性，提示早期肾损害", "心电图示左心室肥厚"),
    "diabetes": ("足背皮肤破溃，糖尿病足待排", "视物模糊，眼底检查示视网膜病变"),
}


@dataclass
class FollowUpVisitPlan:
    """One planned follow-up visit: its readings are assessed for each program of the patient."""

    day: dt.date
    hour: int
    minute: int
    sbp: int
    dbp: int
    heart_rate: int
    glucose: float | None
    adverse_reaction: bool = False
    new_complication: bool = False
    symptoms: list[str] = field(default_factory=list)
    medication_changes: str | None = None
    notes: str | None = None

    def occurred_at(self) -> dt.datetime:
        """A Shanghai-morning clinic visit, stored in UTC."""
        local = dt.datetime.combine(self.day, dt.time(self.hour, self.minute), SHANGHAI)
        return local.astimezone(dt.UTC)

    def rule_visit(self, pregnancy: PregnancyStatus) -> Visit:
        """What the rule engine sees, with the pregnancy flags the follow-up service adds."""
        symptoms = set(self.symptoms)
        if pregnancy == PregnancyStatus.pregnant:
            symptoms.add("pregnancy")
        if pregnancy == PregnancyStatus.lactating:
            symptoms.add("lactation")
        return Visit(
            date=self.day,
            sbp=float(self.sbp),
            dbp=float(self.dbp),
            fasting_glucose=self.glucose,
            heart_rate=float(self.heart_rate),
            adverse_reaction=self.adverse_reaction,
            new_complication=self.new_complication,
            symptoms=frozenset(symptoms),
        )


@dataclass
class CarePlan:
    """One patient's chronic-disease management: programs, follow-ups, certification."""

    national_id: str
    programs: list[str]
    diagnoses: list[str]
    enrolled_on: dt.date
    # followed (to DEMO_TODAY), due_today (followed, due on DEMO_TODAY), dropped (overdue),
    # lost (overdue > 12 months)
    course: str
    visits: list[FollowUpVisitPlan]
    certified_on: dt.date | None
    certificate_no: str | None
    # What the standard's follow-up record says of the patient's habits (the same each visit).
    habits: dict = field(default_factory=dict)


def plan_chronic_care(households: list[HouseholdPlan], seed: int) -> list[CarePlan]:
    """Enrol every patient ≥ 35 whose demo visit confirmed I10 and/or E11, and draw their care.

    Each patient's draws come from an RNG seeded by the demo seed and the resident ID, so they
    never depend on what the database holds. Who drops out, and how well controlled each patient
    is, is then spread by rank over those draws, so even a small demo gets the intended shares.
    """
    programs = load_programs()
    candidates = []
    for household in households:
        for member in household.members:
            if member.visit is None:
                continue
            diagnosed = [
                code
                for code, definition in programs.items()
                if code in CONTROL_PROPENSITY
                and age_on(member.birth, EARLIEST_ENROLMENT) >= definition.eligibility.min_age
                and any(
                    d.startswith(tuple(definition.eligibility.icd10))
                    for d in member.visit.diagnoses
                )
            ]
            if diagnosed:
                rng = random.Random(f"{seed}/chronic-care/{member.national_id}")
                draws = {key: rng.random() for key in ("course", *sorted(CONTROL_PROPENSITY))}
                candidates.append(_Candidate(household, member, diagnosed, rng, draws))
    course = _by_rank([c.draws["course"] for c in candidates])
    for code, options in CONTROL_PROPENSITY.items():
        among = [c for c in candidates if code in c.programs]
        spread = _by_rank([c.draws[code] for c in among])
        for candidate, position in zip(among, spread, strict=True):
            candidate.propensity[code] = options[int(position * len(options))]
    due_today = _due_today(candidates, course)
    plans = [
        _plan_care(
            c.household,
            c.member,
            c.programs,
            programs,
            position,
            c.propensity,
            c.rng,
            due_today=c.member.national_id in due_today,
        )
        for c, position in zip(candidates, course, strict=True)
    ]
    for plan, candidate in zip(plans, candidates, strict=True):
        # An RNG of its own, so that the habits change none of the draws above.
        habits = random.Random(f"{seed}/habits/{candidate.member.national_id}")
        plan.habits = _habits(habits, candidate.member, candidate.programs)
    return plans


# The record's questions that belong to one program's form only.
HYPERTENSION_ONLY = frozenset({"salt"})
DIABETES_ONLY = frozenset({"staple_food_g_per_day", "hypoglycaemia", "dorsalis_pedis"})


def _habits(rng: random.Random, member: PatientPlan, programs: list[str]) -> dict:
    """The patient's answers on the standard's follow-up record: body, smoking, drinking,
    exercise, salt or staple food, adherence. Men smoke and drink far more often than women."""
    male = member.sex == Sex.male
    height = round(rng.gauss(166 if male else 155, 5))
    habits = {
        "visit_mode": "clinic",
        "height_cm": height,
        "weight_kg": round(rng.uniform(21, 29) * (height / 100) ** 2, 1),
        "smoking_per_day": rng.choice((5, 10, 10, 20))
        if rng.random() < (0.45 if male else 0.03)
        else 0,
        "drinking_liang_per_day": rng.choice((1, 2, 3))
        if rng.random() < (0.35 if male else 0.05)
        else 0,
        "exercise_times_per_week": rng.choice((0, 2, 3, 5, 7, 7)),
        "exercise_minutes": rng.choice((20, 30, 30, 60)),
        "psychological": rng.choices(("good", "fair", "poor"), (80, 17, 3))[0],
        "compliance": rng.choices(("good", "fair", "poor"), (75, 20, 5))[0],
        "adherence": rng.choices(("regular", "intermittent", "none"), (75, 20, 5))[0],
    }
    if "hypertension" in programs:
        habits["salt"] = rng.choices(("light", "moderate", "heavy"), (25, 55, 20))[0]
    if "diabetes" in programs:
        habits["staple_food_g_per_day"] = rng.choice((200, 250, 300, 350))
        habits["hypoglycaemia"] = rng.choices(("none", "occasional"), (90, 10))[0]
        habits["dorsalis_pedis"] = rng.choices(("normal", "weakened"), (92, 8))[0]
    return habits


def _followed(position: float) -> bool:
    return position >= LOST_SHARE + DROPPED_SHARE


def _due_today(candidates: list[_Candidate], course: list[float]) -> set[str]:
    """Who of the followed patients is due on DEMO_TODAY (resident IDs): about half of each
    clinic's, and every one at the clinic with the fullest lists (the demo login the README
    names), so that the morning's first list is never empty."""
    by_clinic: dict[str, list[tuple[float, _Candidate]]] = {}
    enrolments, overdue = Counter[str](), Counter[str]()
    for candidate, position in zip(candidates, course, strict=True):
        code = candidate.household.clinic.code
        enrolments[code] += len(candidate.programs)
        overdue[code] += 0 if _followed(position) else len(candidate.programs)
        if _followed(position):
            by_clinic.setdefault(code, []).append((position, candidate))
    if not by_clinic:
        return set()
    # Most enrolments, then most who stopped coming, then the first by code: the clinic that
    # point_at_busiest_clinic then names (its lists are the fullest once these are due today).
    fullest = max(sorted(enrolments), key=lambda code: (enrolments[code], overdue[code]))
    chosen = set()
    for code, followed in by_clinic.items():
        followed.sort(key=lambda pair: pair[0])
        count = len(followed) if code == fullest else -(-len(followed) * DUE_TODAY_SHARE // 1)
        chosen |= {candidate.member.national_id for _, candidate in followed[: int(count)]}
    return chosen


@dataclass
class _Candidate:
    household: HouseholdPlan
    member: PatientPlan
    programs: list[str]
    rng: random.Random
    draws: dict[str, float]
    propensity: dict[str, float] = field(default_factory=dict)


def _by_rank(draws: list[float]) -> list[float]:
    """Each draw's position in [0, 1) among all of them: evenly spread whatever the draws."""
    order = sorted(range(len(draws)), key=lambda i: (draws[i], i))
    position = [0.0] * len(draws)
    for rank, i in enumerate(order):
        position[i] = (rank + 0.5) / len(draws)
    return position


def _plan_care(
    household: HouseholdPlan,
    member: PatientPlan,
    codes: list[str],
    programs: dict[str, Program],
    course_position: float,
    propensity: dict[str, float],
    rng: random.Random,
    *,
    due_today: bool = False,
) -> CarePlan:
    start_draw, stop_draw = rng.randint(0, 80), rng.random()
    certify = household.poverty_registered and rng.random() < CERTIFIED_SHARE
    certified_on = dt.date(2025, 1, 2) + dt.timedelta(days=rng.randint(0, 360))
    certificate_serial = rng.randint(1, 99_999)
    if course_position < LOST_SHARE:
        # Enrolled early in 2025 and last seen by August: due before the lost cutoff.
        course = "lost"
        enrolled_on = EARLIEST_ENROLMENT + dt.timedelta(days=start_draw * 50 // 80)
        stop = dt.date(2025, 4, 1) + dt.timedelta(days=int(stop_draw * 140))
    elif course_position < LOST_SHARE + DROPPED_SHARE:
        # Enrolled in late 2025, stopped coming between mid-January and mid-August 2026.
        course = "dropped"
        enrolled_on = dt.date(2025, 10, 1) + dt.timedelta(days=start_draw)
        stop = dt.date(2026, 1, 15) + dt.timedelta(days=int(stop_draw * 212))
    else:
        course = "followed"
        enrolled_on = dt.date(2025, 10, 1) + dt.timedelta(days=start_draw)
        stop = DEMO_TODAY
    assert member.visit is not None
    visits = _plan_visits(member, codes, programs, enrolled_on, stop, propensity, rng)
    if due_today:
        course = "due_today"
        visits = _due_on(DEMO_TODAY, visits, member, [programs[c] for c in codes])
        enrolled_on = visits[0].day
    return CarePlan(
        national_id=member.national_id,
        programs=codes,
        diagnoses=[
            d
            for d in member.visit.diagnoses
            if any(d.startswith(tuple(programs[c].eligibility.icd10)) for c in codes)
        ],
        enrolled_on=enrolled_on,
        course=course,
        visits=visits,
        certified_on=certified_on if certify else None,
        certificate_no=f"DEMO-MT{certified_on:%Y}{certificate_serial:05d}" if certify else None,
    )


def _next_due(visits: list[FollowUpVisitPlan], member: PatientPlan, programs: list[Program]):
    """When the rules make the patient due after these visits (the earliest of the programs)."""
    due = []
    for program in programs:
        previous: Classification | None = None
        for visit in visits:
            rule_visit = visit.rule_visit(member.pregnancy)
            outcome = assess(program, age_on(member.birth, visit.day), rule_visit, previous)
            previous = outcome.classification
        due.append(outcome.next_due)
    return min(due)


def _due_on(
    day: dt.date, visits: list[FollowUpVisitPlan], member: PatientPlan, programs: list[Program]
) -> list[FollowUpVisitPlan]:
    """The same history moved earlier or later so that the rules make it due on ``day``.

    A few tries, because a three-month interval is calendar months (it can move by a day or two
    with the history); a history that cannot land on ``day`` exactly stays where it got to.
    """
    for _ in range(5):
        gap = day - _next_due(visits, member, programs)
        if not gap:
            break
        visits = [dataclasses.replace(visit, day=visit.day + gap) for visit in visits]
    return visits


def _plan_visits(
    member: PatientPlan,
    codes: list[str],
    programs: dict[str, Program],
    enrolled_on: dt.date,
    stop: dt.date,
    propensity: dict[str, float],
    rng: random.Random,
) -> list[FollowUpVisitPlan]:
    """Visits from enrolment (the first follow-up is due at once) until ``stop``, each on the
    date the rules made it due, give or take a few days. A patient who stops coming before
    DEMO_TODAY mostly does so after an off-target visit."""
    previous: dict[str, Classification | None] = {code: None for code in codes}
    referred = {code: False for code in codes}
    visits: list[FollowUpVisitPlan] = []
    day = enrolled_on
    while day <= stop:
        chance = {
            code: propensity[code]
            + (AFTER_ADJUSTMENT if previous[code] not in (None, Classification.controlled) else 0)
            + (AFTER_REFERRAL if referred[code] else 0)
            for code in codes
        }
        visit, outcomes = _assessed_visit(rng, member, day, codes, programs, chance, previous)
        next_due = min(outcome.next_due for outcome in outcomes.values())
        delays = RECHECK_DELAYS if next_due - day <= OTHERWISE_INTERVAL else DELAYS
        next_day = max(next_due + dt.timedelta(days=rng.choice(delays)), day + dt.timedelta(1))
        if next_day > stop and stop < DEMO_TODAY:  # the last visit before they stop coming
            if rng.random() < LAST_VISIT_OFF_TARGET:
                off_target = {code: 0.0 for code in codes}
                visit, outcomes = _assessed_visit(
                    rng, member, day, codes, programs, off_target, previous
                )
            next_day = DEMO_TODAY + dt.timedelta(days=1)
        _annotate(visit, outcomes, rng, member.pregnancy)
        visits.append(visit)
        previous = {code: outcome.classification for code, outcome in outcomes.items()}
        referred = {code: o.referral or o.urgent_referral for code, o in outcomes.items()}
        day = next_day
    return visits


def _assessed_visit(
    rng: random.Random,
    member: PatientPlan,
    day: dt.date,
    codes: list[str],
    programs: dict[str, Program],
    chance: dict[str, float],
    previous: dict[str, Classification | None],
) -> tuple[FollowUpVisitPlan, dict[str, Assessment]]:
    """Draw one visit's readings and let the rule engine assess them for each program."""
    age = age_on(member.birth, day)
    visit = _draw_visit(rng, day, age, codes, programs, chance, _pregnant(member.pregnancy))
    rule_visit = visit.rule_visit(member.pregnancy)
    return visit, {code: assess(programs[code], age, rule_visit, previous[code]) for code in codes}


def _pregnant(status: PregnancyStatus) -> bool:
    return status in (PregnancyStatus.pregnant, PregnancyStatus.lactating)


def _limit(program: Program, age: int, reading: str, default: float) -> float:
    """The upper bound the program's control band sets on ``reading`` at this age."""
    for condition in program.control_band(age).all:
        if condition.field == reading and condition.op in ("<", "<="):
            return condition.value
    return default


def _draw_visit(
    rng: random.Random,
    day: dt.date,
    age: int,
    codes: list[str],
    programs: dict[str, Program],
    chance: dict[str, float],
    pregnant: bool,
) -> FollowUpVisitPlan:
    hour, minute = rng.randint(8, 11), rng.choice((0, 10, 20, 30, 40, 50))
    bp_on_target = rng.random() < chance.get("hypertension", 1.0)
    sugar_on_target = rng.random() < chance.get("diabetes", 1.0)
    urgent, symptom, adverse, complication = (rng.random() for _ in range(4))
    which = rng.choice(codes)
    heart_rate = rng.randint(60, 92)
    if "hypertension" in codes:
        sbp_limit = int(_limit(programs["hypertension"], age, "sbp", 140))
        dbp_limit = int(_limit(programs["hypertension"], age, "dbp", 90))
        if bp_on_target:
            sbp, dbp = rng.randint(sbp_limit - 30, sbp_limit - 2), rng.randint(64, dbp_limit - 2)
        else:
            sbp = rng.randint(sbp_limit, min(sbp_limit + 30, 178))
            dbp = rng.randint(dbp_limit - 14, dbp_limit + 8)
    else:  # measured at a diabetes follow-up too, but no hypertension
        sbp, dbp = rng.randint(108, 136), rng.randint(62, 86)
    glucose = None
    if "diabetes" in codes:
        target = _limit(programs["diabetes"], age, "fasting_glucose", 7.0)
        glucose = round(
            rng.uniform(4.8, target - 0.1) if sugar_on_target else rng.uniform(target + 0.1, 13.5),
            1,
        )
    visit = FollowUpVisitPlan(day, hour, minute, sbp, dbp, heart_rate, glucose)
    if urgent < URGENT_READING:  # a crisis reading in the program drawn
        if which == "hypertension":
            visit.sbp, visit.dbp = rng.randint(180, 198), rng.randint(96, 114)
        else:
            visit.glucose = round(
                rng.uniform(16.8, 21.0) if rng.random() < 0.6 else rng.uniform(3.0, 3.8), 1
            )
    if symptom < URGENT_SYMPTOM:
        visit.symptoms = [rng.choice(SYMPTOMS[which])]
    if adverse < ADVERSE_REACTION:
        visit.adverse_reaction = True
        reactions = PREGNANCY_ADVERSE_REACTIONS if pregnant else ADVERSE_REACTIONS
        visit.notes, visit.medication_changes = rng.choice(reactions[which])
    if complication < NEW_COMPLICATION:
        visit.new_complication = True
        visit.notes = "；".join(filter(None, [visit.notes, rng.choice(COMPLICATIONS[which])]))
    return visit


def _annotate(
    visit: FollowUpVisitPlan,
    outcomes: dict[str, Assessment],
    rng: random.Random,
    pregnancy: PregnancyStatus,
) -> None:
    """What the doctor wrote, given what the rules decided."""
    texts = PREGNANCY_ADJUSTMENTS if _pregnant(pregnancy) else ADJUSTMENTS
    adjustments = [
        rng.choice(texts[code])
        for code, outcome in outcomes.items()
        if outcome.classification == Classification.uncontrolled
    ]
    if adjustments and visit.medication_changes is None:
        visit.medication_changes = "；".join(adjustments)
    if any(outcome.urgent_referral for outcome in outcomes.values()):
        visit.notes = "；".join(filter(None, [visit.notes, "已电话联系县医院，嘱即日就诊"]))
    elif any(outcome.referral for outcome in outcomes.values()):
        visit.notes = "；".join(filter(None, [visit.notes, "建议到县医院专科就诊"]))


def seed_chronic_care(
    session: Session, plans: list[CarePlan], doctors: dict[int, User], result: SeedResult
) -> None:
    """Write the enrolments that are missing, each with its whole follow-up history.

    An existing enrolment is never touched (nor its history extended); certifications are
    written when the patient has none for that disease.
    """
    if not plans:
        return
    programs = load_programs()
    patients = {
        p.national_id: p
        for p in session.scalars(
            select(Patient).where(Patient.national_id.in_([plan.national_id for plan in plans]))
        )
    }
    patient_ids = [p.id for p in patients.values()]
    enrolled = {
        (patient_id, program)
        for patient_id, program in session.execute(
            select(Enrolment.patient_id, Enrolment.program).where(
                Enrolment.patient_id.in_(patient_ids)
            )
        )
    }
    certified = {
        (patient_id, disease)
        for patient_id, disease in session.execute(
            select(ChronicCertification.patient_id, ChronicCertification.disease).where(
                ChronicCertification.patient_id.in_(patient_ids)
            )
        )
    }
    certifier = session.scalar(
        select(Facility).where(
            Facility.code == CERTIFYING_HOSPITAL, Facility.kind == FacilityKind.hospital
        )
    )
    histories = []
    for plan in plans:
        patient = patients.get(plan.national_id)
        doctor = doctors.get(patient.clinic_id) if patient is not None else None
        if patient is None or doctor is None:
            continue
        if plan.certified_on is not None and certifier is not None:
            for code in plan.programs:
                if (patient.id, code) not in certified:
                    session.add(
                        ChronicCertification(
                            patient_id=patient.id,
                            disease=code,
                            icd10=programs[code].eligibility.icd10[0],
                            certified_on=plan.certified_on,
                            certifying_facility_id=certifier.id,
                            certificate_no=plan.certificate_no,
                            recorded_by_id=doctor.id,
                        )
                    )
                    result.counts["certifications"] += 1
        missing = [code for code in plan.programs if (patient.id, code) not in enrolled]
        if not missing:
            continue
        encounters = [
            Encounter(
                patient_id=patient.id,
                clinic_id=patient.clinic_id,
                doctor_id=doctor.id,
                occurred_at=visit.occurred_at(),
                chief_complaint=FOLLOW_UP_COMPLAINT,
                symptoms=list(visit.symptoms),
                sbp=visit.sbp,
                dbp=visit.dbp,
                heart_rate=visit.heart_rate,
                glucose_mmol_l=visit.glucose,
                glucose_fasting=True if visit.glucose is not None else None,
                # The diagnosis is confirmed at the enrolment visit.
                diagnoses=plan.diagnoses if i == 0 else [],
                notes=visit.notes,
                created_at=visit.occurred_at(),
            )
            for i, visit in enumerate(plan.visits)
        ]
        session.add_all(encounters)
        result.counts["encounters"] += len(encounters)
        for code in missing:
            enrolment, outcomes = _enrolment_with_outcomes(plan, patient, programs[code])
            session.add(enrolment)
            histories.append((plan, patient, doctor, enrolment, encounters, outcomes))
            result.counts["enrolments"] += 1
    session.flush()  # ids for the follow-ups
    checked = set()
    for plan, patient, doctor, _enrolment, encounters, _outcomes in histories:
        if patient.id not in checked:
            checked.add(patient.id)
            check = _annual_check(plan, patient, doctor, encounters)
            if check is not None:
                session.add(check)
                result.counts["annual checks"] += 1
    to_refer = []
    for plan, patient, doctor, enrolment, encounters, outcomes in histories:
        for visit, encounter, outcome in zip(plan.visits, encounters, outcomes, strict=True):
            follow_up = _follow_up(
                visit, patient, doctor, enrolment, encounter, outcome, plan.habits
            )
            session.add(follow_up)
            result.counts["follow-ups"] += 1
            if outcome.referral or outcome.urgent_referral:
                seen_again = visit is not plan.visits[-1]
                to_refer.append((follow_up, patient, doctor, outcome, encounter, seen_again))
    session.flush()  # ids for the referrals
    for plan, _patient, doctor, enrolment, encounters, _outcomes in histories:
        _long_term_prescription(session, doctor, enrolment.program, encounters[-1], plan.visits[-1])
    departments = {}
    for follow_up, patient, doctor, outcome, encounter, seen_again in to_refer:
        code = programs[follow_up.program].referral_department
        if code not in departments:
            departments[code] = county_department(session, code)
        referral = open_referral(
            session,
            patient=patient,
            department=departments[code],
            source=ReferralSource.followup,
            source_id=follow_up.id,
            urgent=outcome.urgent_referral,
            reasons=outcome.reasons,
            created_by=doctor,
        )
        referral.created_at = encounter.occurred_at + dt.timedelta(minutes=20)
        result.counts["referrals"] += 1
        if seen_again:
            # The patient came back to the village clinic: the specialist saw them and sent them
            # home with an adjusted plan. The latest referrals stay open in the specialists' inbox.
            _close_as_specialist(session, referral, departments[code])


def _annual_check(
    plan: CarePlan, patient: Patient, doctor: User, encounters: list[Encounter]
) -> AnnualCheck | None:
    """This year's health check at a spring follow-up visit, last spring's (done at the
    township health centre before the patient was managed here: no visit of ours), or none."""
    draw = int(hashlib.sha256(f"annual-check:{plan.national_id}".encode()).hexdigest(), 16)
    share = (draw % 1000) / 1000
    encounter = None
    if share < CHECKED_THIS_YEAR_SHARE:
        at = next(
            (
                (visit, encounter)
                for visit, encounter in zip(plan.visits, encounters, strict=True)
                if visit.day.year == DEMO_TODAY.year and visit.day.month in CHECK_MONTHS
            ),
            None,
        )
        if at is None:  # not followed this spring: not checked yet
            return None
        visit, encounter = at
        day, at_time = visit.day, visit.occurred_at()
    elif share < CHECKED_THIS_YEAR_SHARE + CHECKED_LAST_YEAR_SHARE:
        day = dt.date(DEMO_TODAY.year - 1, CHECK_MONTHS.start, 1) + dt.timedelta(days=draw % 100)
        at_time = dt.datetime.combine(day, dt.time(9, 0), SHANGHAI).astimezone(dt.UTC)
    else:
        return None
    height, weight = plan.habits.get("height_cm"), plan.habits.get("weight_kg")
    findings = {"height_cm": height, "weight_kg": weight} if height and weight else {}
    if findings:
        findings["bmi"] = round(weight / (height / 100) ** 2, 1)
    return AnnualCheck(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        year=day.year,
        check_date=day,
        encounter_id=encounter.id if encounter else None,
        findings=findings,
        recorded_by_id=doctor.id,
        created_at=at_time,
    )


# The programme medicine each managed patient takes, on every village formulary (formularies),
# written at their latest follow-up for four weeks, so 续方 on the visit page has something to
# repeat: (drug, dose in the drug's unit of measure, frequency, days, quantity dispensed).
LONG_TERM = {
    "hypertension": ("amlodipine-5mg-tab", 5, "qd", 28, 28),
    "diabetes": ("metformin-0.5g-tab", 500, "bid", 28, 56),
}


def _long_term_prescription(
    session: Session, doctor: User, program: str, encounter: Encounter, visit: FollowUpVisitPlan
) -> None:
    """The history's last prescription, dispensed at the clinic back then (the demo keeps no stock
    history that old); repeating it on the visit page checks every prescribing rule afresh."""
    from gpassist.clinics.tables import Drug
    from gpassist.prescriptions.rules import Frequency
    from gpassist.prescriptions.tables import LineSource, Prescription, PrescriptionLine

    if program not in LONG_TERM:
        return
    code, dose, frequency, days, quantity = LONG_TERM[program]
    drug = session.scalar(select(Drug).where(Drug.code == code))
    if drug is None:
        return
    prescription = Prescription(
        encounter_id=encounter.id,
        patient_id=encounter.patient_id,
        clinic_id=encounter.clinic_id,
        doctor_id=doctor.id,
        issued_on=visit.day,
        total_fen=quantity * drug.unit_price_fen,
        created_at=encounter.occurred_at,
    )
    prescription.lines.append(
        PrescriptionLine(
            line_no=1,
            drug_id=drug.id,
            dose=dose,
            frequency=Frequency(frequency),
            days=days,
            quantity=quantity,
            unit_price_fen=drug.unit_price_fen,
            source=LineSource.clinic,
        )
    )
    session.add(prescription)


def _close_as_specialist(session: Session, referral: Referral, department: Department) -> None:
    specialist = session.scalar(
        select(User.id).where(User.department_id == department.id).order_by(User.id)
    )
    referral.status = ReferralStatus.closed
    referral.closed_at = referral.created_at + dt.timedelta(days=2)
    referral.closed_by_id = specialist
    referral.outcome = ReferralOutcome.plan_adjusted.value
    referral.outcome_note = "专科门诊调整治疗方案，回村继续随访"


def _enrolment_with_outcomes(
    plan: CarePlan, patient: Patient, program: Program
) -> tuple[Enrolment, list[Assessment]]:
    """The enrolment as its whole history leaves it, and the rules' verdict on each visit.

    Each visit is assessed as ``record_follow_up`` would: the patient's age on the day, the
    pregnancy flags of the patient's record, the previous follow-up's classification.
    """
    outcomes = []
    previous: Classification | None = None
    for visit in plan.visits:
        rule_visit = visit.rule_visit(patient.pregnancy_status)
        outcome = assess(program, age_on(patient.birth_date, visit.day), rule_visit, previous)
        outcomes.append(outcome)
        previous = outcome.classification
    enrolment = Enrolment(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        program=program.code,
        status=EnrolmentStatus.active,
        enrolled_on=plan.enrolled_on,
        created_at=plan.visits[0].occurred_at(),
    )
    # a plan starts with a visit, so there is always a latest one
    apply_outcome(enrolment, plan.visits[-1].rule_visit(patient.pregnancy_status), outcomes[-1])
    return enrolment, outcomes


def _follow_up(
    visit: FollowUpVisitPlan,
    patient: Patient,
    doctor: User,
    enrolment: Enrolment,
    encounter: Encounter,
    outcome: Assessment,
    habits: dict,
) -> FollowUp:
    follow_up = new_follow_up(
        enrolment,
        encounter,
        visit.rule_visit(patient.pregnancy_status),
        outcome,
        recorded_by_id=doctor.id,
        medication_changes=visit.medication_changes,
        notes=visit.notes,
    )
    follow_up.created_at = encounter.occurred_at
    other = DIABETES_ONLY if enrolment.program == "hypertension" else HYPERTENSION_ONLY
    mine = {k: v for k, v in habits.items() if k not in other}
    follow_up.record = FollowUpRecord.model_validate(mine).with_bmi().model_dump(exclude_none=True)
    return follow_up


def point_at_busiest_clinic(
    session: Session, clinics: list[Facility], result: SeedResult, today: dt.date = DEMO_TODAY
) -> None:
    """Name, among the demo logins, the doctor whose follow-up lists have the most in them, and
    how many of their patients are due ``today``."""
    cutoff = lost_cutoff(today)
    rows = session.execute(
        select(Enrolment.clinic_id, Enrolment.patient_id, Enrolment.next_due).where(
            Enrolment.status == EnrolmentStatus.active,
            Enrolment.clinic_id.in_([c.id for c in clinics]),
        )
    ).all()
    if not rows:
        return
    enrolled, overdue = Counter[int](), Counter[int]()
    due: dict[int, set[int]] = {c.id: set() for c in clinics}
    for clinic_id, patient_id, next_due in rows:
        enrolled[clinic_id] += 1
        overdue[clinic_id] += cutoff <= next_due < today
        if next_due == today:
            due[clinic_id].add(patient_id)
    # Most enrolled, then most patients due today, then most overdue; the first by code on ties.
    clinic = max(clinics, key=lambda c: (enrolled[c.id], len(due[c.id]), overdue[c.id]))
    where = next(i for i, (name, _) in enumerate(result.logins) if name.startswith("doctor-<"))
    result.logins.insert(
        where,
        (
            demo_doctor_username(clinic.code),
            f"village doctor / 村医, {clinic.name_zh}: busiest chronic-disease lists "
            f"({enrolled[clinic.id]} enrolled, {len(due[clinic.id])} patients due and "
            f"{overdue[clinic.id]} overdue on {today})",
        ),
    )
