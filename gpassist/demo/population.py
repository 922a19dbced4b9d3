"""Demo users, households, patients and their past visits."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.service import create_user
from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Department, Facility, FacilityKind, FacilityLevel
from gpassist.consult.service import set_availability
from gpassist.consult.tables import SpecialistAvailability
from gpassist.demo.common import DEMO_PASSWORD, SeedResult, demo_doctor_username
from gpassist.patients.identity import check_digit, name_initials
from gpassist.patients.tables import Encounter, Household, Patient, PregnancyStatus, Sex

DEMO_REGION = "341899"  # Anhui (34), Xuancheng (18), county 99: no such county exists

SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗汪程方江叶吕宋"
GIVEN = "秀英桂兰玉珍春华明国建平志伟军红芳丽敏强德福海金发荣文新林兴"

# Today's duty roster: every county department has its specialist taking consultations, except
# these two, whose requests show the escalation to the whole department (docs/consult.md).
OFF_DUTY = {("TCMH", "acupuncture"), ("TCMH", "rehabilitation")}


def _ensure_user(session: Session, result: SeedResult, username: str, **kwargs) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(session, username=username, password=DEMO_PASSWORD, **kwargs)
        result.counts["users"] += 1
    return user


def seed_users(session: Session, clinics: list[Facility], result: SeedResult) -> dict[int, User]:
    _ensure_user(session, result, "admin", display_name="县卫健委管理员", role=Role.admin)
    result.logins.append(("admin", "admin / 管理员"))
    doctors = {}
    for clinic in clinics:
        username = demo_doctor_username(clinic.code)
        doctors[clinic.id] = _ensure_user(
            session,
            result,
            username,
            display_name=f"{clinic.village_zh or clinic.name_zh}村医",
            role=Role.village_doctor,
            clinic_code=clinic.code,
        )
    for clinic in clinics[:2]:
        result.logins.append(
            (demo_doctor_username(clinic.code), f"village doctor / 村医, {clinic.name_zh}")
        )
    result.logins.append(("doctor-<clinic code>", "a village doctor for every clinic"))
    hospital_departments = session.execute(
        select(Facility.code, Department.code, Department.name_zh, Facility.name_zh)
        .join(Department, Department.facility_id == Facility.id)
        .where(Facility.kind == FacilityKind.hospital, Facility.level == FacilityLevel.county)
        .order_by(Facility.code, Department.code)
    ).all()
    taken: set[str] = set()
    for facility_code, department_code, name_zh, hospital_zh in hospital_departments:
        # A department name shared by two county hospitals (中医科 at both) gets the hospital code.
        username = f"specialist-{department_code.replace('_', '-')}"
        if username in taken:
            username = f"specialist-{facility_code.lower()}-{department_code.replace('_', '-')}"
        taken.add(username)
        specialist = _ensure_user(
            session,
            result,
            username,
            display_name=f"{name_zh}专家",
            role=Role.specialist,
            department=(facility_code, department_code),
        )
        duty = "off duty / 不在岗"
        if (facility_code, department_code) not in OFF_DUTY:
            _put_on_duty(session, specialist, result)
            duty = "on duty / 在岗"
        result.logins.append((username, f"specialist / 专科医生, {hospital_zh} {name_zh}, {duty}"))
    _ensure_user(session, result, "pharmacist", display_name="中心药房药师", role=Role.pharmacist)
    result.logins.append(("pharmacist", "pharmacist / 药师, central pharmacy"))
    return doctors


def _put_on_duty(session: Session, specialist: User, result: SeedResult) -> None:
    # Only a specialist who never switched: one who went off duty in the demo stays off.
    if session.get(SpecialistAvailability, (specialist.id, specialist.department_id)) is None:
        set_availability(session, specialist, True)
        result.counts["specialists on duty"] += 1


def synthetic_national_id(birth: dt.date, sex: Sex, serial: int) -> str:
    sequence = (serial % 500) * 2 + (1 if sex == Sex.male else 0)
    first17 = f"{DEMO_REGION}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


@dataclass
class VisitPlan:
    day: int
    hour: int
    hypertensive: bool
    sbp: int
    dbp: int
    heart_rate: int
    glucose: float
    diagnoses: list[str]


@dataclass
class PatientPlan:
    name: str
    sex: Sex
    birth: dt.date
    age: int
    national_id: str
    phone: str
    allergies: list[str]
    pregnancy: PregnancyStatus
    visit: VisitPlan | None


@dataclass
class HouseholdPlan:
    code: str
    clinic: Facility
    head_name: str
    address: str
    poverty_registered: bool
    members: list[PatientPlan] = field(default_factory=list)


def plan_population(clinics: list[Facility], count: int, rng: random.Random) -> list[HouseholdPlan]:
    """Draw the whole synthetic population first, so what exists never changes the draws."""
    today = dt.date(2026, 11, 1)
    households: list[HouseholdPlan] = []
    seen_ids: set[str] = set()
    serial = 0
    while serial < count:
        clinic = rng.choice(clinics)
        surname = rng.choice(SURNAMES)
        household = HouseholdPlan(
            code=f"DEMO-{clinic.code}-{serial:05d}",
            clinic=clinic,
            head_name=surname + rng.choice(GIVEN) + rng.choice(GIVEN),
            address=f"{clinic.village_zh or ''}{rng.randint(1, 120)}号",
            poverty_registered=rng.random() < 0.15,
        )
        households.append(household)
        for _ in range(min(rng.randint(1, 4), count - serial)):
            serial += 1
            sex = rng.choice([Sex.male, Sex.female])
            age = min(95, max(1, int(rng.triangular(1, 95, 62))))
            birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
            national_id = synthetic_national_id(birth, sex, serial)
            name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice([1, 2])))
            member = PatientPlan(
                name=name,
                sex=sex,
                birth=birth,
                age=age,
                national_id=national_id,
                phone=f"139{rng.randint(0, 99_999_999):08d}",
                allergies=["青霉素"] if rng.random() < 0.05 else [],
                pregnancy=_pregnancy(sex, age, rng),
                visit=_plan_visit(age, rng),
            )
            if national_id not in seen_ids:
                seen_ids.add(national_id)
                household.members.append(member)
    return households


def _pregnancy(sex: Sex, age: int, rng: random.Random) -> PregnancyStatus:
    if sex == Sex.male:
        return PregnancyStatus.not_applicable
    if 20 <= age <= 40 and rng.random() < 0.1:
        return rng.choice([PregnancyStatus.pregnant, PregnancyStatus.lactating])
    return PregnancyStatus.not_pregnant


def _plan_visit(age: int, rng: random.Random) -> VisitPlan | None:
    """Older patients get a past visit; some with hypertension or diabetes confirmed."""
    draws = [rng.random() for _ in range(3)]
    sbp_high, sbp_normal = rng.randint(142, 178), rng.randint(108, 138)
    glucose_high, glucose_normal = rng.uniform(7.2, 11.5), rng.uniform(4.4, 6.4)
    day, hour, heart_rate, dbp_draw = (
        rng.randint(1, 28),
        rng.randint(0, 9),
        rng.randint(60, 96),
        rng.random(),
    )
    if age < 35 or draws[0] < 0.4:
        return None
    hypertensive, diabetic = draws[1] < 0.35, draws[2] < 0.12
    sbp = sbp_high if hypertensive else sbp_normal
    dbp_low, dbp_high = 65, min(sbp - 30, 105)
    return VisitPlan(
        day=day,
        hour=hour,
        hypertensive=hypertensive,
        sbp=sbp,
        dbp=dbp_low + int(dbp_draw * (dbp_high - dbp_low)),
        heart_rate=heart_rate,
        glucose=round(glucose_high if diabetic else glucose_normal, 1),
        diagnoses=(["I10"] if hypertensive else []) + (["E11.9"] if diabetic else []),
    )


def seed_patients(
    session: Session,
    households: list[HouseholdPlan],
    doctors: dict[int, User],
    result: SeedResult,
) -> None:
    existing_ids = set(session.scalars(select(Patient.national_id)))
    for plan in households:
        household = _ensure_household(session, plan, result)
        for member in plan.members:
            if member.national_id in existing_ids:
                continue
            patient = Patient(
                clinic_id=household.clinic_id,
                household_id=household.id,
                name=member.name,
                name_initials=name_initials(member.name),
                sex=member.sex,
                birth_date=member.birth,
                national_id=member.national_id,
                national_id_tail=member.national_id[-4:],
                phone=member.phone,
                village=plan.clinic.village_zh or plan.clinic.name_zh,
                drug_allergies=member.allergies,
                pregnancy_status=member.pregnancy,
            )
            session.add(patient)
            session.flush()
            result.counts["patients"] += 1
            if member.visit is not None:
                _record_visit(session, patient, doctors[household.clinic_id], member.visit)
                result.counts["encounters"] += 1


def _ensure_household(session: Session, plan: HouseholdPlan, result: SeedResult) -> Household:
    household = session.scalar(select(Household).where(Household.code == plan.code))
    if household is None:
        household = Household(
            clinic_id=plan.clinic.id,
            code=plan.code,
            head_name=plan.head_name,
            address=plan.address,
            poverty_registered=plan.poverty_registered,
            poverty_registered_on=dt.date(2016, 1, 1) if plan.poverty_registered else None,
        )
        session.add(household)
        session.flush()
        result.counts["households"] += 1
    return household


def _record_visit(session: Session, patient: Patient, doctor: User, visit: VisitPlan) -> None:
    session.add(
        Encounter(
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            doctor_id=doctor.id,
            occurred_at=dt.datetime(2026, 10, visit.day, visit.hour, tzinfo=dt.UTC),
            chief_complaint="头晕，复查血压" if visit.hypertensive else "常规体检",
            symptoms=["dizziness"] if visit.hypertensive else [],
            sbp=visit.sbp,
            dbp=visit.dbp,
            heart_rate=visit.heart_rate,
            glucose_mmol_l=visit.glucose,
            glucose_fasting=True,
            diagnoses=visit.diagnoses,
        )
    )


# --- chronic-disease management: enrolments, a year of follow-ups, certifications ------------
