"""Open referrals (from follow-ups, later consultations), list them, close them with an outcome.

Who sees what: a village doctor their clinic's referrals; a specialist those sent to their
department; an admin all. Only a specialist of the receiving department closes one.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from gpassist.auth.tables import Role, User
from gpassist.clinics.tables import Department, Facility, FacilityKind, FacilityLevel
from gpassist.db import utcnow
from gpassist.errors import Conflict, Forbidden, InvalidField, NotFound
from gpassist.labels import LabelledEnum
from gpassist.patients.tables import Patient
from gpassist.referrals.tables import Referral, ReferralSource, ReferralStatus


class ReferralOutcome(LabelledEnum):
    """How a referral ended, as the receiving hospital reports it."""

    admitted = "admitted", "收住院", "Admitted"
    treated_and_returned = "treated_and_returned", "诊治后转回基层", "Treated and sent back"
    plan_adjusted = "plan_adjusted", "调整治疗方案，基层继续管理", "Plan adjusted, managed locally"
    referred_higher = "referred_higher", "转上级医院", "Referred higher"
    did_not_attend = "did_not_attend", "未就诊", "Did not attend"


def county_department(session: Session, department_code: str) -> Department:
    """The department of that code at a county-level hospital."""
    department = session.scalar(
        select(Department)
        .join(Facility, Department.facility_id == Facility.id)
        .where(
            Department.code == department_code,
            Department.active.is_(True),
            Facility.kind == FacilityKind.hospital,
            Facility.level == FacilityLevel.county,
        )
        .order_by(Facility.code)
    )
    if department is None:
        raise InvalidField.at(
            "department",
            f"No county hospital has a {department_code!r} department.",
            zh="县级医院没有这个科室，请从列表中选择科室。",
        )
    return department


def open_referral(
    session: Session,
    *,
    patient: Patient,
    department: Department,
    source: ReferralSource,
    source_id: int | None,
    urgent: bool,
    reasons: Sequence[str],
    created_by: User,
    note: str | None = None,
) -> Referral:
    """Open a referral, or add to the one already open for this patient and department.

    A specialist should find one referral per patient in their inbox, not one per visit; a
    later urgent reason makes the open referral urgent.
    """
    open_one = session.scalar(
        select(Referral).where(
            Referral.patient_id == patient.id,
            Referral.department_id == department.id,
            Referral.status == ReferralStatus.open,
        )
    )
    if open_one is not None:
        open_one.urgent = open_one.urgent or urgent
        open_one.reasons = list(dict.fromkeys([*open_one.reasons, *reasons]))
        session.flush()
        return open_one
    referral = Referral(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        department_id=department.id,
        source=source,
        source_id=source_id,
        urgent=urgent,
        reasons=list(reasons),
        note=note,
        status=ReferralStatus.open,
        created_by_id=created_by.id,
    )
    session.add(referral)
    session.flush()
    return referral


def _visible(user: User):
    if user.role == Role.admin:
        return None
    if user.role == Role.village_doctor:
        return Referral.clinic_id == user.clinic_id
    if user.role == Role.specialist:
        return Referral.department_id == user.department_id
    raise Forbidden("Pharmacists do not see referrals.", detail_zh="药师不参与转诊，没有转诊列表。")


def list_referrals(
    session: Session,
    user: User,
    status: ReferralStatus | None,
    limit: int,
    offset: int,
    patient_id: int | None = None,
) -> list[Referral]:
    """Urgent first, then oldest first: the order a specialist should take them in."""
    query = select(Referral)
    scope = _visible(user)
    if scope is not None:
        query = query.where(scope)
    if status is not None:
        query = query.where(Referral.status == status)
    if patient_id is not None:
        query = query.where(Referral.patient_id == patient_id)
    query = query.order_by(Referral.urgent.desc(), Referral.created_at, Referral.id)
    return list(session.scalars(query.limit(limit).offset(offset)))


def visible_referral(session: Session, user: User, referral_id: int) -> Referral:
    """The referral if ``user`` may see it (its clinic's doctor, its department's specialist,
    an admin); raises ``NotFound``.
    """
    referral = session.get(Referral, referral_id)
    scope_ok = referral is not None and (
        user.role == Role.admin
        or (user.role == Role.village_doctor and referral.clinic_id == user.clinic_id)
        or (user.role == Role.specialist and referral.department_id == user.department_id)
    )
    if not scope_ok:
        raise NotFound(f"No referral {referral_id}.", detail_zh="没有找到这次转诊，或您无权查看。")
    assert referral is not None
    return referral


def close_referral(
    session: Session, user: User, referral_id: int, outcome: ReferralOutcome, note: str | None
) -> Referral:
    """The receiving specialist records what came of the referral: the loop back to the clinic."""
    if user.role != Role.specialist:
        raise Forbidden(
            "Only a specialist of the receiving department closes a referral.",
            detail_zh="只有接收科室的专家可以填写转诊结果。",
        )
    referral = visible_referral(session, user, referral_id)
    if referral.status == ReferralStatus.closed:
        raise Conflict(
            f"Referral {referral_id} is already closed.",
            detail_zh="这次转诊已经填写过结果，不能再次填写。",
        )
    referral.status = ReferralStatus.closed
    referral.closed_at = utcnow()
    referral.closed_by_id = user.id
    referral.outcome = outcome.value
    referral.outcome_note = note
    session.flush()
    return referral
