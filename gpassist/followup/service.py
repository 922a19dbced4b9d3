"""Enrolment, follow-ups, the morning worklists, annual checks and chronic-disease certification.

Services take a session and plain values, flush and never commit. Every rule decision is made by
``rules.py``; this module loads what the rules need and records what they decide.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Facility, FacilityKind
from gpassist.db import SHANGHAI, utcnow
from gpassist.errors import Conflict, InvalidField, NotFound
from gpassist.followup.definitions import Program, load_programs
from gpassist.followup.reasons import READING_NAMES
from gpassist.followup.rules import (
    Assessment,
    Classification,
    MissingReading,
    Visit,
    add_months,
    assess,
)
from gpassist.followup.schemas import (
    AnnualCheckIn,
    CertificationIn,
    EnrolIn,
    FollowUpIn,
    FollowUpRecord,
    WithdrawIn,
)
from gpassist.followup.tables import (
    AnnualCheck,
    ChronicCertification,
    Enrolment,
    EnrolmentStatus,
    FollowUp,
)
from gpassist.patients.schemas import age_on
from gpassist.patients.service import (
    require_clinic_doctor,
    visible_encounter,
    visible_patient,
)
from gpassist.patients.tables import Encounter, Patient, PregnancyStatus
from gpassist.referrals.service import county_department, open_referral
from gpassist.referrals.tables import Referral, ReferralSource

FOLLOW_UP_COMPLAINT = "慢病随访 / chronic disease follow-up"
LOST_AFTER_MONTHS = 12


def program(code: str) -> Program:
    """The follow-up program (hypertension, diabetes) with this code."""
    return load_programs()[code]


# --- enrolment -------------------------------------------------------------------------------


def enrol(
    session: Session, user: User, patient_id: int, data: EnrolIn, today: dt.date
) -> Enrolment:
    """Enrol a patient ≥ 35 with the program's confirmed diagnosis on one of their visits."""
    require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    definition = program(data.program)
    enrolled_on = data.enrolled_on or today
    if enrolled_on > today:
        raise InvalidField.at(
            "body.enrolled_on", "Enrolment cannot be in the future.", zh="纳入日期不能晚于今天。"
        )
    if age_on(patient.birth_date, enrolled_on) < definition.eligibility.min_age:
        raise InvalidField.at(
            "body.program",
            f"The {definition.name.en} program enrols residents aged "
            f"{definition.eligibility.min_age} or more.",
            zh=f"{definition.name.zh}管理只纳入 {definition.eligibility.min_age} 岁及以上的居民。",
        )
    if not _has_diagnosis(session, patient.id, definition.eligibility.icd10):
        codes = "/".join(definition.eligibility.icd10)
        raise InvalidField.at(
            "body.program",
            f"Record the confirmed diagnosis ({codes}) on a visit first.",
            zh=f"请先在就诊中确诊{definition.name.zh}（{codes}），再纳入管理。",
        )
    active = session.scalar(
        select(Enrolment.id).where(
            Enrolment.patient_id == patient.id,
            Enrolment.program == definition.code,
            Enrolment.status == EnrolmentStatus.active,
        )
    )
    if active is not None:
        raise Conflict(
            f"The patient is already in the {definition.name.en} program.",
            detail_zh=f"患者已在{definition.name.zh}管理中。",
        )
    # Every enrolment is a spell of its own: a re-enrolled patient starts afresh, and the
    # withdrawn spell stays as it was for the reports of its time.
    enrolment = Enrolment(
        patient_id=patient.id,
        program=definition.code,
        clinic_id=patient.clinic_id,
        status=EnrolmentStatus.active,
        enrolled_on=enrolled_on,
        next_due=enrolled_on,  # the first follow-up is due at once
        last_urgent=False,
        last_referral=False,
    )
    session.add(enrolment)
    session.flush()
    return enrolment


def _has_diagnosis(session: Session, patient_id: int, prefixes: list[str]) -> bool:
    diagnoses = session.scalars(
        select(Encounter.diagnoses).where(Encounter.patient_id == patient_id)
    )
    return any(code.startswith(tuple(prefixes)) for codes in diagnoses for code in codes)


def visible_enrolment(session: Session, user: User, enrolment_id: int) -> Enrolment:
    """The enrolment if ``user`` may see its patient; raises ``NotFound``."""
    enrolment = session.get(Enrolment, enrolment_id)
    if enrolment is None:
        raise NotFound(
            f"No enrolment {enrolment_id}.", detail_zh="没有这项慢病管理，或您无权查看。"
        )
    visible_patient(session, user, enrolment.patient_id)  # 404 for another clinic's
    return enrolment


def withdraw(
    session: Session, user: User, enrolment_id: int, data: WithdrawIn, today: dt.date
) -> Enrolment:
    """Withdraw an active enrolment with a reason and date; raises ``Forbidden`` (not a village
    doctor), ``NotFound``, ``Conflict`` (already withdrawn) or ``InvalidField`` (date out of range).
    """
    require_clinic_doctor(user)
    enrolment = visible_enrolment(session, user, enrolment_id)
    if enrolment.status != EnrolmentStatus.active:
        raise Conflict("The enrolment is already withdrawn.", detail_zh="患者已退出这项慢病管理。")
    withdrawn_on = data.withdrawn_on or today
    if not enrolment.enrolled_on <= withdrawn_on <= today:
        raise InvalidField.at(
            "body.withdrawn_on",
            "Withdrawal must fall between enrolment and today.",
            zh="退出日期须在纳入日期和今天之间。",
        )
    enrolment.status = EnrolmentStatus.withdrawn
    enrolment.withdrawn_on = withdrawn_on
    enrolment.withdraw_reason = data.reason
    session.flush()
    return enrolment


def enrolments_of(session: Session, user: User, patient_id: int) -> list[Enrolment]:
    """The patient's enrolments by program and date; raises ``NotFound`` for a patient ``user``
    may not see.
    """
    patient = visible_patient(session, user, patient_id)
    return list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.patient_id == patient.id)
            .order_by(Enrolment.program, Enrolment.enrolled_on, Enrolment.id)
        )
    )


# --- follow-ups ------------------------------------------------------------------------------


@dataclass
class Recorded:
    """A recorded follow-up and the referral it opened, if any."""

    follow_up: FollowUp
    referral: Referral | None


def record_follow_up(
    session: Session, user: User, patient_id: int, data: FollowUpIn, today: dt.date
) -> list[Recorded]:
    """Assess one face-to-face visit for each program the patient is in, and record it.

    Either every program's follow-up is written or none is: a missing reading for any program
    refuses the whole visit, naming the field.
    """
    require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    enrolments = _enrolments_to_assess(session, patient, data)
    encounter, visit_date = _encounter_for(session, user, patient, data, today)
    visit = _visit(patient, data, encounter, visit_date)
    age = age_on(patient.birth_date, visit_date)
    assessments = []
    for enrolment in enrolments:
        _check_order(enrolment, visit_date)
        try:
            result = assess(program(enrolment.program), age, visit, enrolment.last_classification)
        except MissingReading as exc:
            raise InvalidField.at(
                f"body.{exc.reading}",
                f"{exc.reading} is required for a {program(enrolment.program).name.en} follow-up.",
                "missing",
                zh=f"{program(enrolment.program).name.zh}随访必须填写"
                f"{READING_NAMES.get(exc.reading, (exc.reading,))[0]}。",
            ) from exc
        assessments.append((enrolment, result))
    return [
        _write_follow_up(session, user, patient, enrolment, encounter, visit, data, result)
        for enrolment, result in assessments
    ]


def _enrolments_to_assess(session: Session, patient: Patient, data: FollowUpIn) -> list[Enrolment]:
    active = list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.patient_id == patient.id, Enrolment.status == EnrolmentStatus.active)
            .order_by(Enrolment.program)
        )
    )
    if data.programs is not None:
        wanted = {p.value for p in data.programs}
        missing = wanted - {e.program for e in active}
        if missing:
            raise InvalidField.at(
                "body.programs",
                f"The patient is not enrolled in {', '.join(sorted(missing))}.",
                zh=f"患者未纳入{'、'.join(_program_zh(code) for code in sorted(missing))}管理。",
            )
        active = [e for e in active if e.program in wanted]
    if not active:
        raise InvalidField.at(
            "body.programs",
            "The patient is not enrolled in any program.",
            zh="患者未纳入任何慢病管理。",
        )
    return active


def _encounter_for(
    session: Session, user: User, patient: Patient, data: FollowUpIn, today: dt.date
) -> tuple[Encounter, dt.date]:
    if data.encounter_id is not None:
        encounter = session.get(Encounter, data.encounter_id)
        if encounter is None or encounter.patient_id != patient.id:
            raise InvalidField.at(
                "body.encounter_id", "No such visit of this patient.", zh="这位患者没有这次就诊。"
            )
        visible_encounter(session, user, encounter.id)
        return encounter, encounter.occurred_at.astimezone(SHANGHAI).date()
    visit_date = data.visit_date or today
    if visit_date > today:
        raise InvalidField.at(
            "body.visit_date", "A follow-up cannot be in the future.", zh="随访日期不能晚于今天。"
        )
    occurred_at = (
        utcnow()
        if visit_date == today
        else dt.datetime.combine(visit_date, dt.time(9), SHANGHAI).astimezone(dt.UTC)
    )
    encounter = Encounter(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        doctor_id=user.id,
        occurred_at=occurred_at,
        chief_complaint=FOLLOW_UP_COMPLAINT,
        symptoms=list(data.symptoms),
        sbp=_int(data.sbp),
        dbp=_int(data.dbp),
        heart_rate=_int(data.heart_rate),
        temperature_c=data.temperature,
        glucose_mmol_l=data.fasting_glucose,
        glucose_fasting=True if data.fasting_glucose is not None else None,
        notes=data.notes,
    )
    session.add(encounter)
    session.flush()
    return encounter, visit_date


def _int(value: float | None) -> int | None:
    return None if value is None else round(value)


def _visit(patient: Patient, data: FollowUpIn, encounter: Encounter, visit_date: dt.date) -> Visit:
    """The visit's readings: what the follow-up says, else what its encounter recorded."""

    def pick(given, recorded):
        return given if given is not None else recorded

    fasting = encounter.glucose_mmol_l if encounter.glucose_fasting else None
    symptoms = set(data.symptoms)
    if patient.pregnancy_status == PregnancyStatus.pregnant:
        symptoms.add("pregnancy")
    if patient.pregnancy_status == PregnancyStatus.lactating:
        symptoms.add("lactation")
    return Visit(
        date=visit_date,
        sbp=pick(data.sbp, encounter.sbp),
        dbp=pick(data.dbp, encounter.dbp),
        fasting_glucose=pick(data.fasting_glucose, fasting),
        heart_rate=pick(data.heart_rate, encounter.heart_rate),
        temperature=pick(data.temperature, encounter.temperature_c),
        adverse_reaction=data.adverse_reaction,
        new_complication=data.new_complication,
        symptoms=frozenset(symptoms),
    )


def _check_order(enrolment: Enrolment, visit_date: dt.date) -> None:
    if visit_date < enrolment.enrolled_on:
        raise InvalidField.at(
            "body.visit_date",
            "The visit is before the patient was enrolled.",
            zh="随访日期早于纳入管理的日期。",
        )
    if visit_date == enrolment.last_follow_up_on:
        raise Conflict(
            f"A {enrolment.program} follow-up is already recorded for {visit_date}; "
            "one a day per program (was the form sent twice?).",
            detail_zh=f"{visit_date} 已有{_program_zh(enrolment.program)}随访，每天只记一次。",
        )
    if enrolment.last_follow_up_on is not None and visit_date < enrolment.last_follow_up_on:
        raise InvalidField.at(
            "body.visit_date",
            f"Follow-ups are recorded in date order; the last was {enrolment.last_follow_up_on}.",
            zh=f"随访须按日期先后记录，上一次是 {enrolment.last_follow_up_on}。",
        )


def new_follow_up(
    enrolment: Enrolment,
    encounter: Encounter,
    visit: Visit,
    result: Assessment,
    *,
    recorded_by_id: int,
    medication_changes: str | None = None,
    notes: str | None = None,
) -> FollowUp:
    """The follow-up row for a visit and the rules' verdict on it."""
    return FollowUp(
        enrolment_id=enrolment.id,
        patient_id=enrolment.patient_id,
        clinic_id=encounter.clinic_id,
        encounter_id=encounter.id,
        program=enrolment.program,
        visit_date=visit.date,
        sbp=visit.sbp,
        dbp=visit.dbp,
        fasting_glucose=visit.fasting_glucose,
        heart_rate=visit.heart_rate,
        temperature=visit.temperature,
        adverse_reaction=visit.adverse_reaction,
        new_complication=visit.new_complication,
        symptoms=sorted(visit.symptoms),
        medication_changes=medication_changes,
        notes=notes,
        classification=result.classification,
        urgent_referral=result.urgent_referral,
        referral=result.referral,
        reasons=list(result.reasons),
        next_due=result.next_due,
        recorded_by_id=recorded_by_id,
    )


def apply_outcome(enrolment: Enrolment, visit: Visit, result: Assessment) -> None:
    """Keep the enrolment's summary of its latest follow-up, which the worklists read."""
    enrolment.next_due = result.next_due
    enrolment.last_follow_up_on = visit.date
    enrolment.last_classification = result.classification
    enrolment.last_urgent = result.urgent_referral
    enrolment.last_referral = result.referral
    enrolment.last_sbp, enrolment.last_dbp = visit.sbp, visit.dbp
    enrolment.last_fasting_glucose = visit.fasting_glucose


def _write_follow_up(
    session: Session,
    user: User,
    patient: Patient,
    enrolment: Enrolment,
    encounter: Encounter,
    visit: Visit,
    data: FollowUpIn,
    result: Assessment,
) -> Recorded:
    follow_up = new_follow_up(
        enrolment,
        encounter,
        visit,
        result,
        recorded_by_id=user.id,
        medication_changes=data.medication_changes,
        notes=data.notes,
    )
    follow_up.record = standard_record(data, encounter)
    session.add(follow_up)
    _name_the_programme_diagnosis(encounter, enrolment.program)
    apply_outcome(enrolment, visit, result)
    session.flush()
    referral = None
    if result.referral or result.urgent_referral:
        referral = open_referral(
            session,
            patient=patient,
            department=county_department(session, program(enrolment.program).referral_department),
            source=ReferralSource.followup,
            source_id=follow_up.id,
            urgent=result.urgent_referral,
            reasons=result.reasons,
            created_by=user,
        )
    return Recorded(follow_up, referral)


def _name_the_programme_diagnosis(encounter: Encounter, code: str) -> None:
    """A follow-up visit is a visit for the programme's disease: its diagnosis (I10, E11) goes on
    the visit unless the doctor already confirmed it, so the slip, the receipt and a chronic-
    disease bill name it without another tap."""
    icd10 = program(code).eligibility.icd10[0]
    diagnoses = list(encounter.diagnoses or [])
    if not any(d.startswith(icd10) for d in diagnoses):
        encounter.diagnoses = [*diagnoses, icd10]


def standard_record(data: FollowUpIn, encounter: Encounter) -> dict:
    """The standard form's other fields as stored: the weight from the visit when the form
    leaves it out, and the BMI computed from weight and height."""
    record = data.record or FollowUpRecord()
    if record.weight_kg is None and encounter.weight_kg is not None:
        record = record.model_copy(update={"weight_kg": encounter.weight_kg})
    return record.with_bmi().model_dump(mode="json", exclude_none=True)


def visible_follow_up(session: Session, user: User, follow_up_id: int) -> FollowUp:
    """The follow-up if ``user`` may see its patient; raises ``NotFound``."""
    follow_up = session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"No follow-up {follow_up_id}.", detail_zh="没有这条随访记录。")
    visible_patient(session, user, follow_up.patient_id)  # 404 for another clinic's
    return follow_up


def follow_ups_of(session: Session, user: User, patient_id: int) -> list[FollowUp]:
    """The patient's follow-ups, newest first; raises ``NotFound`` for a patient ``user`` may
    not see.
    """
    patient = visible_patient(session, user, patient_id)
    return list(
        session.scalars(
            select(FollowUp)
            .where(FollowUp.patient_id == patient.id)
            .order_by(FollowUp.visit_date.desc(), FollowUp.id.desc())
        )
    )


# --- worklists -------------------------------------------------------------------------------

WORKLISTS = ("due_today", "due_this_week", "overdue", "lost")

_CLASSIFICATION_RISK = {
    Classification.complication: 0,
    Classification.adverse_reaction: 1,
    Classification.uncontrolled: 2,
    None: 3,  # never followed up: unknown, so before the controlled
    Classification.controlled: 4,
}


def worklist_clinic(session: Session, user: User, clinic_code: str | None) -> int:
    """The clinic whose lists the caller reads: a doctor's own; an admin names one."""
    if user.role == Role.village_doctor:
        return require_clinic_doctor(user)
    if not clinic_code:
        raise InvalidField.at(
            "query.clinic", "Name the clinic whose list you want.", "missing", zh="请选择卫生室。"
        )
    clinic = session.scalar(
        select(Facility).where(
            Facility.code == clinic_code, Facility.kind == FacilityKind.village_clinic
        )
    )
    if clinic is None:
        raise InvalidField.at(
            "query.clinic", f"No village clinic {clinic_code!r}.", zh=f"没有卫生室 {clinic_code}。"
        )
    return clinic.id


def lost_cutoff(today: dt.date) -> dt.date:
    """Due before this date means overdue more than 12 months: lost to follow-up."""
    return add_months(today, -LOST_AFTER_MONTHS)


def worklist(
    session: Session, clinic_id: int, kind: str, today: dt.date, program_code: str | None = None
) -> list[Enrolment]:
    """Due today, due this week (today and the next 6 days), overdue, or lost, for one clinic.

    Overdue and lost are sorted by risk — an urgent flag first, then the last classification
    (complication, adverse reaction, uncontrolled, never seen, controlled), then how far the
    last readings are from target — and then by days overdue, longest first.
    """
    query = select(Enrolment).where(
        Enrolment.clinic_id == clinic_id, Enrolment.status == EnrolmentStatus.active
    )
    if program_code:
        query = query.where(Enrolment.program == program_code)
    cutoff = lost_cutoff(today)
    window = {
        "due_today": (Enrolment.next_due == today,),
        "due_this_week": (
            Enrolment.next_due >= today,
            Enrolment.next_due <= today + dt.timedelta(days=6),
        ),
        "overdue": (Enrolment.next_due < today, Enrolment.next_due >= cutoff),
        "lost": (Enrolment.next_due < cutoff,),
    }[kind]
    rows = list(session.scalars(query.where(*window)))
    if kind in ("overdue", "lost"):
        rows.sort(key=lambda e: risk_key(e, today))
    else:
        rows.sort(key=lambda e: (e.next_due, risk_key(e, today)))
    return rows


def reading_excess(enrolment: Enrolment) -> float:
    """How far the last readings were above target, in comparable units (higher is worse)."""
    excess = [0.0]
    if enrolment.last_sbp is not None:
        excess.append(enrolment.last_sbp - 140)
    if enrolment.last_dbp is not None:
        excess.append((enrolment.last_dbp - 90) * 1.5)
    if enrolment.last_fasting_glucose is not None:
        excess.append((enrolment.last_fasting_glucose - 7.0) * 10)
    return max(excess)


def risk_key(enrolment: Enrolment, today: dt.date) -> tuple:
    """Sort key for a worklist: urgent first, then worse control, larger excess over target,
    longer overdue.
    """
    return (
        not enrolment.last_urgent,
        _CLASSIFICATION_RISK[enrolment.last_classification],
        -reading_excess(enrolment),
        -(today - enrolment.next_due).days,
        enrolment.id,
    )


# --- annual health check ---------------------------------------------------------------------


@dataclass
class AnnualCheckDue:
    """A managed patient without this year's health check, with their programs and last check."""

    patient: Patient
    programs: list[str]
    last_check_date: dt.date | None


def annual_checks_due(
    session: Session, clinic_id: int, today: dt.date, program_code: str | None = None
) -> list[AnnualCheckDue]:
    """The clinic's patients in a program who have no health check this calendar year, those
    never checked first, then the longest since their last check."""
    query = select(Enrolment).where(
        Enrolment.clinic_id == clinic_id, Enrolment.status == EnrolmentStatus.active
    )
    if program_code:
        query = query.where(Enrolment.program == program_code)
    programs: dict[int, list[str]] = {}
    patients: dict[int, Patient] = {}
    for enrolment in session.scalars(query):
        programs.setdefault(enrolment.patient_id, []).append(enrolment.program)
        patients[enrolment.patient_id] = enrolment.patient
    last_checks = dict(
        session.execute(
            select(AnnualCheck.patient_id, func.max(AnnualCheck.check_date))
            .where(AnnualCheck.patient_id.in_(list(patients)))
            .group_by(AnnualCheck.patient_id)
        ).all()
    )
    due = [
        AnnualCheckDue(patients[pid], sorted(codes), last_checks.get(pid))
        for pid, codes in programs.items()
        if last_checks.get(pid) is None or last_checks[pid].year < today.year
    ]
    due.sort(key=lambda d: (d.last_check_date or dt.date.min, d.patient.name, d.patient.id))
    return due


def record_annual_check(
    session: Session, user: User, patient_id: int, data: AnnualCheckIn, today: dt.date
) -> AnnualCheck:
    """Record the patient's yearly health check (one per year); raises ``Forbidden``,
    ``NotFound``, ``InvalidField`` (future date, another patient's visit) or ``Conflict`` (done
    already this year).
    """
    clinic_id = require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    check_date = data.check_date or today
    if check_date > today:
        raise InvalidField.at(
            "body.check_date",
            "A health check cannot be in the future.",
            zh="体检日期不能晚于今天。",
        )
    if data.encounter_id is not None:
        encounter = session.get(Encounter, data.encounter_id)
        if encounter is None or encounter.patient_id != patient.id:
            raise InvalidField.at(
                "body.encounter_id", "No such visit of this patient.", zh="这位患者没有这次就诊。"
            )
    existing = session.scalar(
        select(AnnualCheck.id).where(
            AnnualCheck.patient_id == patient.id, AnnualCheck.year == check_date.year
        )
    )
    if existing is not None:
        raise Conflict(
            f"The {check_date.year} health check is already recorded.",
            detail_zh=f"{check_date.year} 年的健康体检已经记录过了。",
        )
    findings = {
        k: v
        for k, v in data.model_dump(
            include={"height_cm", "weight_kg", "waist_cm", "findings"}
        ).items()
        if v is not None
    }
    if data.height_cm and data.weight_kg:
        findings["bmi"] = round(data.weight_kg / (data.height_cm / 100) ** 2, 1)
    check = AnnualCheck(
        patient_id=patient.id,
        clinic_id=clinic_id,
        year=check_date.year,
        check_date=check_date,
        encounter_id=data.encounter_id,
        findings=findings,
        notes=data.notes,
        recorded_by_id=user.id,
    )
    session.add(check)
    session.flush()
    return check


def annual_checks_of(session: Session, user: User, patient_id: int) -> list[AnnualCheck]:
    """The patient's health checks, newest first; raises ``NotFound`` for a patient ``user``
    may not see.
    """
    patient = visible_patient(session, user, patient_id)
    return list(
        session.scalars(
            select(AnnualCheck)
            .where(AnnualCheck.patient_id == patient.id)
            .order_by(AnnualCheck.check_date.desc(), AnnualCheck.id.desc())
        )
    )


# --- certified chronic diseases (门诊慢特病认定) ------------------------------------------------


def certify(
    session: Session, user: User, patient_id: int, data: CertificationIn
) -> ChronicCertification:
    """Record a certified chronic disease (门诊慢特病认定) by a hospital or township health
    centre; raises ``Forbidden``, ``NotFound``, ``InvalidField`` or ``Conflict`` (already
    certified).
    """
    require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    facility = session.scalar(select(Facility).where(Facility.code == data.certifying_facility))
    if facility is None or facility.kind not in (
        FacilityKind.hospital,
        FacilityKind.township_health_centre,
    ):
        raise InvalidField.at(
            "body.certifying_facility",
            "Certification is by a hospital or township health centre.",
            zh="慢特病须由医院或乡镇卫生院认定。",
        )
    definition = program(data.disease)
    existing = session.scalar(
        select(ChronicCertification).where(
            ChronicCertification.patient_id == patient.id,
            ChronicCertification.disease == definition.code,
        )
    )
    if existing is not None and existing.revoked_on is None:
        raise Conflict(
            f"{definition.name.en} is already certified for this patient.",
            detail_zh=f"患者的{definition.name.zh}已经认定过了。",
        )
    if existing is None:
        existing = ChronicCertification(patient_id=patient.id, disease=definition.code)
        session.add(existing)
    existing.icd10 = definition.eligibility.icd10[0]
    existing.certified_on = data.certified_on
    existing.certifying_facility_id = facility.id
    existing.certificate_no = data.certificate_no
    existing.revoked_on = None
    existing.recorded_by_id = user.id
    session.flush()
    return existing


def certifications_of(session: Session, user: User, patient_id: int) -> list[ChronicCertification]:
    """The patient's chronic-disease certifications; raises ``NotFound`` for a patient
    ``user`` may not see.
    """
    patient = visible_patient(session, user, patient_id)
    return list(
        session.scalars(
            select(ChronicCertification)
            .where(ChronicCertification.patient_id == patient.id)
            .order_by(ChronicCertification.disease)
        )
    )


def has_certified_chronic_disease(
    session: Session, patient_id: int, on: dt.date, disease: str | None = None
) -> bool:
    """Whether the patient held a certification on ``on`` (what chronic-outpatient bills need)."""
    query = select(ChronicCertification.id).where(
        ChronicCertification.patient_id == patient_id,
        ChronicCertification.certified_on <= on,
        (ChronicCertification.revoked_on.is_(None)) | (ChronicCertification.revoked_on > on),
    )
    if disease is not None:
        query = query.where(ChronicCertification.disease == disease)
    return session.scalar(query.limit(1)) is not None


def _program_zh(code: str) -> str:
    """A program's Chinese name for a message (its code when not defined)."""
    found = load_programs().get(code)
    return found.name.zh if found else code
