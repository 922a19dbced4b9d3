"""Patients, households and encounters, with the clinic scoping every caller goes through.

A village doctor sees and writes only their own clinic's patients; a patient of another clinic is
reported as not found (404), never as forbidden, so its existence does not leak.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.clinics.service import escape_like
from gpassist.clinics.tables import Facility
from gpassist.db import SHANGHAI, shanghai_today, utcnow
from gpassist.errors import Conflict, Forbidden, InvalidField, NotFound
from gpassist.idempotency import check_replay, request_hash
from gpassist.patients.identity import birth_date_in_id, name_initials, sex_in_id
from gpassist.patients.schemas import (
    ContractIn,
    EncounterIn,
    EncounterUpdate,
    HouseholdIn,
    PatientIn,
    PatientUpdate,
)
from gpassist.patients.tables import Encounter, Household, Patient, PregnancyStatus, Sex
from gpassist.settlement.tables import Settlement, SettlementStatus

# A clock a few minutes fast on a village PC should not make a visit "in the future".
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def require_clinic_doctor(user: User) -> int:
    """The clinic id of a village doctor; anyone else is refused (403)."""
    if user.role != Role.village_doctor or user.clinic_id is None:
        raise Forbidden(
            "Only a village doctor of a clinic may do this.",
            detail_zh="只有卫生室的村医可以这样做。",
        )
    return user.clinic_id


def visible_patient(session: Session, user: User, patient_id: int) -> Patient:
    """The patient if ``user`` may see them; otherwise NotFound, as if there were none."""
    patient = session.get(Patient, patient_id)
    if patient is None or not _may_see(user, patient):
        raise NotFound(f"No patient {patient_id}.", detail_zh="没有这位患者，或您无权查看。")
    return patient


def _may_see(user: User, patient: Patient) -> bool:
    if user.role == Role.admin:
        return True
    return user.role == Role.village_doctor and patient.clinic_id == user.clinic_id


def create_household(session: Session, user: User, data: HouseholdIn) -> Household:
    """Register a household at the doctor's clinic; raises ``Forbidden`` (not a village doctor)
    or ``Conflict`` (the code exists).
    """
    clinic_id = require_clinic_doctor(user)
    code = data.code or f"H{secrets.token_hex(5).upper()}"
    if session.scalar(select(Household.id).where(Household.code == code)) is not None:
        raise Conflict(f"Household {code} already exists.", detail_zh=f"家庭编号 {code} 已存在。")
    household = Household(clinic_id=clinic_id, **data.model_dump(exclude={"code"}), code=code)
    session.add(household)
    session.flush()
    return household


def visible_household(session: Session, user: User, household_id: int) -> Household:
    """The household if ``user`` may see it (its clinic's doctor, an admin); raises ``NotFound``."""
    household = session.get(Household, household_id)
    if household is None or (
        user.role != Role.admin
        and (user.role != Role.village_doctor or household.clinic_id != user.clinic_id)
    ):
        raise NotFound(f"No household {household_id}.", detail_zh="没有这个家庭，或您无权查看。")
    return household


def create_patient(session: Session, user: User, data: PatientIn) -> Patient:
    """Register a patient at the doctor's clinic; raises ``Forbidden``, ``InvalidField`` (the
    resident ID disagrees with the birth date or sex, an unknown household) or ``Conflict`` (the
    resident ID is registered already).
    """
    clinic_id = require_clinic_doctor(user)
    clinic = session.get(Facility, clinic_id)
    assert clinic is not None
    _check_identity(data)
    if data.national_id and session.scalar(
        select(Patient.id).where(Patient.national_id == data.national_id)
    ):
        # Deliberately silent about where: another clinic's patient is not this doctor's to see.
        raise Conflict(
            "A patient with this resident ID is already registered.",
            detail_zh="这个身份证号的患者已经登记过了。",
        )
    patient = Patient(
        clinic_id=clinic_id,
        name=data.name,
        name_initials=name_initials(data.name),
        sex=data.sex,
        birth_date=data.birth_date,
        national_id=data.national_id,
        national_id_tail=data.national_id[-4:] if data.national_id else None,
        phone=data.phone,
        village=data.village or clinic.village_zh or clinic.name_zh,
        drug_allergies=list(data.drug_allergies),
        pregnancy_status=_pregnancy_status(data.sex, data.pregnancy_status),
        created_by_id=user.id,
    )
    if data.household_id is not None:
        patient.household_id = _household_for(session, user, data.household_id, "body.household_id")
    if data.contract is not None:
        _set_contract(session, patient, data.contract, clinic_id)
    session.add(patient)
    session.flush()
    return patient


def _check_identity(data: PatientIn) -> None:
    if not data.national_id:
        return
    if birth_date_in_id(data.national_id) != data.birth_date:
        raise InvalidField.at(
            "body.national_id",
            "The resident ID does not match the birth date.",
            zh="身份证号与出生日期不符。",
        )
    if sex_in_id(data.national_id) != data.sex.value:
        raise InvalidField.at(
            "body.national_id", "The resident ID does not match the sex.", zh="身份证号与性别不符。"
        )


def _pregnancy_status(sex: Sex, status: PregnancyStatus | None) -> PregnancyStatus:
    if sex == Sex.male:
        if status not in (None, PregnancyStatus.not_applicable):
            raise InvalidField.at(
                "body.pregnancy_status",
                "Only a female patient can be pregnant.",
                zh="只有女性患者可以记录孕期。",
            )
        return PregnancyStatus.not_applicable
    if status == PregnancyStatus.not_applicable:
        raise InvalidField.at(
            "body.pregnancy_status",
            "Record not_pregnant, pregnant, lactating or unknown.",
            zh="请选择：未孕、孕期、哺乳期或不详。",
        )
    return status or PregnancyStatus.unknown


def _household_for(session: Session, user: User, household_id: int, field: str) -> int:
    household = session.get(Household, household_id)
    if household is None or household.clinic_id != user.clinic_id:
        raise InvalidField.at(
            field, f"No household {household_id} at your clinic.", zh="本卫生室没有这个家庭。"
        )
    return household.id


def _set_contract(session: Session, patient: Patient, contract: ContractIn, clinic_id: int) -> None:
    doctor = session.get(User, contract.doctor_id)
    if doctor is None or doctor.role != Role.village_doctor or doctor.clinic_id != clinic_id:
        raise InvalidField.at(
            "body.contract.doctor_id",
            "The contract doctor must be a village doctor of this clinic.",
            zh="签约医生必须是本卫生室的村医。",
        )
    patient.contract_doctor_id = doctor.id
    patient.contract_start = contract.start
    patient.contract_end = contract.end


def update_patient(session: Session, user: User, patient_id: int, data: PatientUpdate) -> Patient:
    """Change a patient's contact, household, allergies, pregnancy or contract; raises
    ``Forbidden``, ``NotFound`` or ``InvalidField``.
    """
    clinic_id = require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    changes = data.model_dump(exclude_unset=True)
    if "phone" in changes:
        patient.phone = data.phone
    if data.village is not None:
        patient.village = data.village
    if "household_id" in changes:
        patient.household_id = (
            _household_for(session, user, data.household_id, "body.household_id")
            if data.household_id is not None
            else None
        )
    if data.drug_allergies is not None:
        patient.drug_allergies = list(data.drug_allergies)
    if data.pregnancy_status is not None:
        patient.pregnancy_status = _pregnancy_status(patient.sex, data.pregnancy_status)
    if data.contract is not None:
        _set_contract(session, patient, data.contract, clinic_id)
    session.flush()
    return patient


def search_patients(
    session: Session,
    user: User,
    *,
    q: str | None,
    village: str | None,
    clinic_code: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Patient], int]:
    """Find patients by name, pinyin initials or resident-ID tail, within what ``user`` sees."""
    query = select(Patient)
    if user.role == Role.village_doctor:
        query = query.where(Patient.clinic_id == user.clinic_id)
    elif user.role != Role.admin:
        raise Forbidden(
            "Only village doctors and admins search patients.",
            detail_zh="只有村医和管理员可以查找患者。",
        )
    elif clinic_code:
        query = query.join(Facility, Patient.clinic_id == Facility.id).where(
            Facility.code == clinic_code
        )
    if q:
        query = query.where(_matches(q))
    if village:
        query = query.where(Patient.village == village)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Patient.name_initials, Patient.id).limit(limit).offset(offset)
    )
    return list(rows), total


def _matches(q: str):
    text = q.strip()
    conditions = [Patient.name.like(f"%{escape_like(text)}%", escape="\\")]
    if text.isascii() and text.isalpha():
        conditions.append(Patient.name_initials.like(f"{escape_like(text.lower())}%", escape="\\"))
    if len(text) == 4 and text[:3].isdigit() and (text[3].isdigit() or text[3] in "xX"):
        conditions.append(Patient.national_id_tail == text.upper())
    return or_(*conditions)


def record_encounter(
    session: Session,
    user: User,
    patient_id: int,
    data: EncounterIn,
    idempotency_key: str | None = None,
) -> Encounter:
    """Record a visit of the patient at the doctor's clinic.

    With an ``idempotency_key`` (the page's client key) a save sent again — a double tap, a
    retry after a dropped link — returns the visit the first one recorded; the same
    key with another visit is 409 (``gpassist.idempotency``). Raises ``Forbidden``,
    ``NotFound`` or ``InvalidField`` (a visit in the future or before birth).
    """
    clinic_id = require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    digest = None
    if idempotency_key is not None:
        digest = request_hash(data, patient_id=patient.id)
        # Two copies of one save racing: the patient's row lock makes the second wait and then
        # find the first (SQLite: every writing transaction is IMMEDIATE already).
        lock_patient_row(session, patient.id)
        earlier = session.scalar(
            select(Encounter).where(
                Encounter.doctor_id == user.id, Encounter.idempotency_key == idempotency_key
            )
        )
        if earlier is not None:
            check_replay(earlier.request_hash, digest, "visit")
            return earlier
    now = utcnow()
    occurred_at = data.occurred_at.astimezone(dt.UTC) if data.occurred_at else now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidField.at(
            "body.occurred_at", "A visit cannot be in the future.", zh="就诊时间不能晚于现在。"
        )
    if occurred_at.date() < patient.birth_date - dt.timedelta(days=1):
        raise InvalidField.at(
            "body.occurred_at",
            "A visit cannot be before the patient's birth.",
            zh="就诊时间不能早于患者出生。",
        )
    encounter = Encounter(
        patient_id=patient.id,
        clinic_id=clinic_id,
        doctor_id=user.id,
        occurred_at=occurred_at,
        chief_complaint=data.chief_complaint,
        symptoms=list(data.symptoms),
        diagnoses=list(data.diagnoses),
        notes=data.notes,
        idempotency_key=idempotency_key,
        request_hash=digest,
        **data.vitals.model_dump(),
    )
    session.add(encounter)
    session.flush()
    return encounter


def lock_patient_row(session: Session, patient_id: int) -> None:
    """``SELECT … FOR UPDATE`` the patient's bare row: writes that must not interleave for one
    patient (a visit's replayed save, a settlement) queue here."""
    session.execute(select(Patient.id).where(Patient.id == patient_id).with_for_update())


def visible_encounter(session: Session, user: User, encounter_id: int) -> Encounter:
    """The visit if ``user`` may see its patient; raises ``NotFound``."""
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or not _may_see(user, encounter.patient):
        raise NotFound(f"No encounter {encounter_id}.", detail_zh="没有这次就诊，或您无权查看。")
    return encounter


def update_encounter(
    session: Session, user: User, encounter_id: int, data: EncounterUpdate
) -> Encounter:
    """Change a saved visit's complaint, vitals, diagnoses or notes (what is given); raises
    ``Forbidden`` or ``NotFound``."""
    require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    if data.chief_complaint is not None:
        encounter.chief_complaint = data.chief_complaint
    if data.vitals is not None:
        for name, value in data.vitals.model_dump().items():
            setattr(encounter, name, value)
    if data.diagnoses is not None:
        encounter.diagnoses = list(data.diagnoses)
    if data.notes is not None:
        encounter.notes = data.notes
    session.flush()
    return encounter


def open_encounters_today(session: Session, user: User, patient_id: int) -> list[Encounter]:
    """The patient's visits today (Asia/Shanghai) at the doctor's clinic whose bill is not
    settled yet, newest first: what the visit page resumes after a reload."""
    clinic_id = require_clinic_doctor(user)
    patient = visible_patient(session, user, patient_id)
    day = shanghai_today()
    start = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI).astimezone(dt.UTC)
    settled = select(Settlement.encounter_id).where(
        Settlement.encounter_id.is_not(None), Settlement.status == SettlementStatus.settled
    )
    query = (
        select(Encounter)
        .where(
            Encounter.patient_id == patient.id,
            Encounter.clinic_id == clinic_id,
            Encounter.occurred_at >= start,
            Encounter.occurred_at < start + dt.timedelta(days=1),
            Encounter.id.not_in(settled),
        )
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
    )
    return list(session.scalars(query))


def encounter_history(
    session: Session, user: User, patient_id: int, limit: int, offset: int
) -> list[Encounter]:
    """One page of the patient's visits, newest first; raises ``NotFound``."""
    patient = visible_patient(session, user, patient_id)
    query = (
        select(Encounter)
        .where(Encounter.patient_id == patient.id)
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.scalars(query))


def today() -> dt.date:
    """Today's date in Asia/Shanghai, the county's calendar."""
    return shanghai_today()
