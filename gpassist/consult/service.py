"""Consultations: open, route, accept, talk, close with an opinion. Plain functions, no Flask.

Functions that change something return, besides their result, the ``Notice`` list to send once
the caller has committed: a message is stored before anyone hears of it, and a rolled-back
transaction tells no one anything.

Who sees what: the requesting village doctor and the accepting specialist are the two parties;
admins see everything; while a request waits, the specialists of its department may read it (to
decide whether to accept). Anyone else is told "not found", so a consultation's existence does
not leak.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from gpassist.audit.service import record_event
from gpassist.auth.tables import Role, User
from gpassist.consult.present import consultation_out
from gpassist.consult.schemas import ConsultationIn, Opinion
from gpassist.consult.states import (
    OPEN_FOR_CALLS,
    OPEN_FOR_MESSAGES,
    PRIORITY,
    Action,
    ConsultState,
    Escalation,
    InvalidTransition,
    next_state,
)
from gpassist.consult.tables import (
    Consultation,
    ConsultAttachment,
    ConsultMessage,
    MessageKind,
    OpinionRead,
    ReadReceipt,
    SpecialistAvailability,
)
from gpassist.db import SHANGHAI, utcnow
from gpassist.errors import Conflict, Forbidden, InvalidField, NotFound
from gpassist.patients.service import require_clinic_doctor, visible_encounter
from gpassist.patients.tables import Encounter
from gpassist.realtime import user_room
from gpassist.referrals.service import county_department, open_referral
from gpassist.referrals.tables import ReferralSource


@dataclass(frozen=True)
class Notice:
    """A Socket.IO event to send to ``rooms`` after the transaction commits."""

    event: str
    payload: dict[str, Any]
    rooms: tuple[str, ...]


@dataclass
class Outcome:
    """What a change produced: the consultation, and who must hear about it."""

    consultation: Consultation
    notices: list[Notice] = field(default_factory=list)


def consultation_room(consultation_id: int) -> str:
    """The Socket.IO room of one consultation: its two parties while they take part."""
    return f"consultation:{consultation_id}"


# --- reading and scoping ---------------------------------------------------------------------


def is_party(user: User, consultation: Consultation) -> bool:
    """Whether ``user`` is the doctor who asked or the specialist who accepted."""
    return user.id in (consultation.requested_by_id, consultation.specialist_id)


def may_join(user: User, consultation: Consultation) -> bool:
    """Only the two parties and admins join a consultation's room."""
    return user.role == Role.admin or is_party(user, consultation)


def _may_read(user: User, consultation: Consultation) -> bool:
    if may_join(user, consultation):
        return True
    return (
        user.role == Role.specialist
        and consultation.state == ConsultState.requested
        and user.department_id == consultation.department_id
    )


def visible_consultation(
    session: Session, user: User, consultation_id: int, *, lock: bool = False
) -> Consultation:
    """The consultation if ``user`` may read it (locked FOR UPDATE when ``lock``);
    otherwise raises ``NotFound``, as if there were none.
    """
    # FOR UPDATE OF the consultation row only: its department is outer-joined in.
    consultation = session.get(
        Consultation,
        consultation_id,
        with_for_update={"of": Consultation} if lock else None,
        populate_existing=lock,
    )
    if consultation is None or not _may_read(user, consultation):
        raise NotFound(
            f"No consultation {consultation_id}.",
            detail_zh="没有找到这次会诊，或您无权查看。请回到会诊列表重新打开。",
        )
    return consultation


def joinable_consultation(
    session: Session, user: User, consultation_id: int, *, lock: bool = False
) -> Consultation:
    """A consultation ``user`` may take part in; raises ``NotFound`` when not visible and
    ``Forbidden`` when visible but not theirs to join.
    """
    consultation = visible_consultation(session, user, consultation_id, lock=lock)
    if not may_join(user, consultation):
        raise Forbidden(
            "Only the two parties of a consultation (and admins) may take part in it.",
            detail_zh="只有申请会诊的医生和接诊的专家（以及管理员）可以参与这次会诊。",
        )
    return consultation


def my_consultations(
    session: Session,
    user: User,
    state: ConsultState | None,
    limit: int,
    offset: int,
    patient_id: int | None = None,
) -> list[Consultation]:
    """A doctor's requests, a specialist's accepted cases, or (admin) all; newest first; of one
    patient when given."""
    query = select(Consultation)
    if patient_id is not None:
        query = query.where(Consultation.patient_id == patient_id)
    if user.role == Role.village_doctor:
        query = query.where(Consultation.requested_by_id == user.id)
    elif user.role == Role.specialist:
        query = query.where(Consultation.specialist_id == user.id)
    elif user.role != Role.admin:
        raise Forbidden(
            "Pharmacists take no part in consultations.",
            detail_zh="药师不参与会诊，没有会诊列表。",
        )
    if state is not None:
        query = query.where(Consultation.state == state)
    query = query.order_by(Consultation.requested_at.desc(), Consultation.id.desc())
    return list(session.scalars(query.limit(limit).offset(offset)))


def waiting_queue(session: Session, user: User) -> list[Consultation]:
    """Requests waiting for a specialist, most urgent first, then oldest first.

    A specialist sees their department's; an admin every department's; a village doctor their
    own waiting requests.
    """
    query = select(Consultation).where(Consultation.state == ConsultState.requested)
    if user.role == Role.specialist:
        query = query.where(Consultation.department_id == user.department_id)
    elif user.role == Role.village_doctor:
        query = query.where(Consultation.requested_by_id == user.id)
    elif user.role != Role.admin:
        raise Forbidden(
            "Pharmacists take no part in consultations.",
            detail_zh="药师不参与会诊，没有会诊列表。",
        )
    query = query.order_by(Consultation.priority.desc(), Consultation.requested_at, Consultation.id)
    return list(session.scalars(query))


def messages_after(session: Session, consultation_id: int, after_seq: int) -> list[ConsultMessage]:
    """The log after ``after_seq``, in order: what a reconnecting client missed."""
    return list(
        session.scalars(
            select(ConsultMessage)
            .where(
                ConsultMessage.consultation_id == consultation_id, ConsultMessage.seq > after_seq
            )
            .order_by(ConsultMessage.seq)
        )
    )


# --- availability and routing ----------------------------------------------------------------


def require_specialist(user: User) -> int:
    """The department id of a hospital specialist; raises ``Forbidden`` for anyone else."""
    if user.role != Role.specialist or user.department_id is None:
        raise Forbidden(
            "Only a specialist of a hospital department may do this.",
            detail_zh="只有医院科室的专家可以进行此操作。",
        )
    return user.department_id


def set_availability(session: Session, user: User, available: bool) -> SpecialistAvailability:
    """Switch "taking consultations now" for the specialist's department; kept in the database."""
    department_id = require_specialist(user)
    row = session.get(SpecialistAvailability, (user.id, department_id))
    if row is None:
        row = SpecialistAvailability(user_id=user.id, department_id=department_id)
        session.add(row)
    row.available = available
    row.changed_at = utcnow()
    session.flush()
    return row


def is_available(session: Session, user: User) -> bool:
    """Whether the specialist is marked available for their department's queue; raises
    ``Forbidden`` for anyone but a specialist.
    """
    department_id = require_specialist(user)
    row = session.get(SpecialistAvailability, (user.id, department_id))
    return bool(row and row.available)


def _department_specialists(
    session: Session, department_id: int, *, available_only: bool
) -> list[int]:
    query = select(User.id).where(
        User.role == Role.specialist, User.department_id == department_id, User.active.is_(True)
    )
    if available_only:
        query = query.join(
            SpecialistAvailability,
            (SpecialistAvailability.user_id == User.id)
            & (SpecialistAvailability.department_id == department_id),
        ).where(SpecialistAvailability.available.is_(True))
    return list(session.scalars(query.order_by(User.id)))


def _admins(session: Session) -> list[int]:
    return list(
        session.scalars(
            select(User.id).where(User.role == Role.admin, User.active.is_(True)).order_by(User.id)
        )
    )


def _to_users(user_ids: Iterable[int]) -> tuple[str, ...]:
    return tuple(user_room(uid) for uid in user_ids)


def _parties_rooms(consultation: Consultation) -> tuple[str, ...]:
    ids = [consultation.requested_by_id]
    if consultation.specialist_id is not None:
        ids.append(consultation.specialist_id)
    return (*_to_users(ids), consultation_room(consultation.id))


# --- the life cycle --------------------------------------------------------------------------


# The follow-up classifications in the specialist's words (the national standard's terms).
CLASSIFICATION_NAMES = {
    "controlled": {"zh": "控制满意", "en": "Controlled"},
    "uncontrolled": {"zh": "控制不满意", "en": "Not controlled"},
    "adverse_reaction": {"zh": "药物不良反应", "en": "Adverse drug reaction"},
    "complication": {"zh": "并发症", "en": "Complication"},
}


def current_medicines(session: Session, patient_id: int, today: dt.date) -> list[dict]:
    """The patient's prescription lines whose supply still runs today (today's included),
    newest first: what the specialist must know before advising a drug."""
    from gpassist.clinics.tables import Drug
    from gpassist.pharmacy.states import OrderStatus
    from gpassist.pharmacy.tables import OrderLine, PharmacyOrder
    from gpassist.prescriptions.rules import LONG_MAX_DAYS
    from gpassist.prescriptions.tables import Prescription, PrescriptionLine

    never_sent = (  # lines of a cancelled central-pharmacy order: the patient never got them
        select(OrderLine.prescription_line_id)
        .join(PharmacyOrder, OrderLine.order_id == PharmacyOrder.id)
        .where(PharmacyOrder.status == OrderStatus.cancelled)
    )
    rows = session.execute(
        select(Prescription.issued_on, PrescriptionLine, Drug)
        .join(PrescriptionLine, PrescriptionLine.prescription_id == Prescription.id)
        .join(Drug, PrescriptionLine.drug_id == Drug.id)
        .where(
            Prescription.patient_id == patient_id,
            Prescription.issued_on >= today - dt.timedelta(days=LONG_MAX_DAYS),
            PrescriptionLine.id.not_in(never_sent),
        )
        .order_by(Prescription.issued_on.desc(), PrescriptionLine.id)
    ).all()
    seen: set[int] = set()
    out = []
    for issued_on, line, drug in rows:
        if issued_on + dt.timedelta(days=line.days) <= today or drug.id in seen:
            continue
        seen.add(drug.id)  # the latest prescription of a drug says how it is taken now
        out.append(
            {
                "drug": drug.code,
                "name": {"zh": drug.name_zh, "en": drug.name_en},
                "strength": drug.strength,
                "dose": line.dose,
                "dose_unit": drug.dose_unit,
                "frequency": line.frequency.value,
                "frequency_name": {"zh": line.frequency.zh, "en": line.frequency.en},
                "days": line.days,
                "issued_on": issued_on.isoformat(),
            }
        )
    return out


def active_programs(session: Session, patient_id: int) -> list[dict]:
    """The patient's active chronic-disease programs with their last follow-up's outcome."""
    from gpassist.followup.definitions import load_programs
    from gpassist.followup.tables import Enrolment, EnrolmentStatus

    programs = load_programs()
    enrolments = session.scalars(
        select(Enrolment)
        .where(Enrolment.patient_id == patient_id, Enrolment.status == EnrolmentStatus.active)
        .order_by(Enrolment.program)
    )
    out = []
    for e in enrolments:
        known = programs.get(e.program)
        classification = e.last_classification.value if e.last_classification else None
        out.append(
            {
                "program": e.program,
                "name": known.name.model_dump() if known else {"zh": e.program, "en": e.program},
                "enrolled_on": e.enrolled_on.isoformat(),
                "last_follow_up_on": e.last_follow_up_on.isoformat()
                if e.last_follow_up_on
                else None,
                "classification": classification,
                "classification_name": CLASSIFICATION_NAMES.get(classification or ""),
                "last_sbp": e.last_sbp,
                "last_dbp": e.last_dbp,
                "last_fasting_glucose": e.last_fasting_glucose,
                "next_due": e.next_due.isoformat(),
            }
        )
    return out


def encounter_summary(
    encounter: Encounter,
    differential: list[str],
    today: dt.date,
    session: Session | None = None,
) -> dict:
    """What the specialist needs to see first: complaint, vitals, what has been considered;
    with a session, also the patient's current medicines and chronic-disease programs."""
    from gpassist.patients.schemas import age_on

    vitals = {
        name: getattr(encounter, name)
        for name in (
            "sbp",
            "dbp",
            "heart_rate",
            "temperature_c",
            "spo2",
            "glucose_mmol_l",
            "glucose_fasting",
            "weight_kg",
        )
        if getattr(encounter, name) is not None
    }
    patient = encounter.patient
    return {
        "patient": {"sex": patient.sex.value, "age": age_on(patient.birth_date, today)},
        "chief_complaint": encounter.chief_complaint,
        "symptoms": list(encounter.symptoms),
        "vitals": vitals,
        "diagnoses": list(encounter.diagnoses),
        "differential": list(differential),
        "drug_allergies": list(patient.drug_allergies),
        "medicines": current_medicines(session, patient.id, today) if session else [],
        "programs": active_programs(session, patient.id) if session else [],
    }


def shanghai_date(moment: dt.datetime) -> dt.date:
    """The calendar day in the county at ``moment`` (supply runs by local days)."""
    return moment.astimezone(SHANGHAI).date()


def open_consultation(
    session: Session,
    user: User,
    encounter_id: int,
    data: ConsultationIn,
    *,
    now: dt.datetime,
    field_prefix: str = "body",
) -> Outcome:
    """A village doctor asks a county department for an opinion on one of their encounters."""
    require_clinic_doctor(user)
    encounter = visible_encounter(session, user, encounter_id)
    try:
        department = county_department(session, data.department)
    except InvalidField as exc:
        raise InvalidField.at(
            f"{field_prefix}.department", str(exc.detail), zh=exc.detail_zh or "请选择会诊科室。"
        ) from exc
    consultation = Consultation(
        encounter_id=encounter.id,
        patient_id=encounter.patient_id,
        clinic_id=encounter.clinic_id,
        requested_by_id=user.id,
        department_id=department.id,
        urgency=data.urgency,
        priority=PRIORITY[data.urgency],
        reason=data.reason,
        summary=encounter_summary(encounter, data.differential, shanghai_date(now), session),
        state=ConsultState.requested,
        escalation=int(Escalation.available),
        last_seq=0,
        requested_at=now,
    )
    session.add(consultation)
    session.flush()
    available = _department_specialists(session, department.id, available_only=True)
    outcome = Outcome(consultation)
    outcome.notices.append(_queue_notice("requested", consultation, available))
    outcome.notices.append(_state_notice(consultation, notified=len(available)))
    return outcome


_ACTION_ZH = {
    Action.accept: "接诊",
    Action.start: "开始会诊",
    Action.close: "结束会诊",
    Action.cancel: "取消",
    Action.expire: "作过期处理",
}


def _not_acceptable_zh(consultation: Consultation, user: User) -> str:
    """Why a specialist could not take a consultation, in the desk's words."""
    if consultation.specialist_id == user.id:
        return "您已经接诊了这次会诊，请直接进入会诊室。"
    if consultation.specialist_id is not None:
        return "这次会诊已由其他专家接诊。"
    return f"这次会诊{consultation.state.zh}，不能再接诊。"


def accept(session: Session, user: User, consultation_id: int, *, now: dt.datetime) -> Outcome:
    """Take a waiting request. Exactly one specialist wins when several accept at once.

    The guarantee is the database's: one conditional UPDATE (``WHERE state = 'requested'``). Of
    two concurrent ones, the second finds the row already changed and updates nothing.
    """
    department_id = require_specialist(user)
    consultation = session.get(Consultation, consultation_id)
    if consultation is None or consultation.department_id != department_id:
        raise NotFound(
            f"No consultation {consultation_id}.",
            detail_zh="您的科室没有这次会诊，请刷新会诊队列。",
        )
    taken = session.execute(
        update(Consultation)
        .where(Consultation.id == consultation_id, Consultation.state == ConsultState.requested)
        .values(state=ConsultState.accepted, specialist_id=user.id, accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    session.refresh(consultation)
    if taken.rowcount != 1:
        who = "you" if consultation.specialist_id == user.id else "another specialist"
        raise Conflict(
            f"Consultation {consultation_id} is {consultation.state.value}"
            + (f" (accepted by {who})." if consultation.specialist_id else "."),
            detail_zh=_not_acceptable_zh(consultation, user),
            state=consultation.state.value,
        )
    record_event(session, "accept", "consultations", consultation.id, {"state": "accepted"})
    everyone = _department_specialists(session, consultation.department_id, available_only=False)
    outcome = Outcome(consultation)
    outcome.notices.append(_queue_notice("taken", consultation, everyone))
    outcome.notices.append(_state_notice(consultation))
    return outcome


def _transition(consultation: Consultation, action: Action) -> None:
    try:
        consultation.state = next_state(consultation.state, action)
    except InvalidTransition as exc:
        raise Conflict(
            str(exc),
            detail_zh=f"这次会诊{consultation.state.zh}，不能{_ACTION_ZH[action]}。请刷新后查看。",
            state=consultation.state.value,
        ) from exc


def _start_if_accepted(consultation: Consultation, now: dt.datetime, outcome: Outcome) -> None:
    """The first exchange after acceptance makes the consultation active."""
    if consultation.state == ConsultState.accepted:
        _transition(consultation, Action.start)
        consultation.started_at = now
        outcome.notices.append(_state_notice(consultation))


@dataclass
class Posted:
    """A posted message, whether it repeats an earlier client id, and what it changed."""

    message: ConsultMessage
    duplicate: bool
    outcome: Outcome


def post_message(
    session: Session,
    user: User,
    consultation_id: int,
    *,
    client_msg_id: str,
    text: str | None,
    attachment_id: int | None,
    now: dt.datetime,
) -> Posted:
    """Store a chat message with the next sequence number; a resent client id is stored once.

    The consultation row is locked first (PostgreSQL ``FOR UPDATE``; SQLite writers are already
    serialised by ``BEGIN IMMEDIATE``), so numbers are assigned one at a time and without gaps,
    and a resend racing its original finds it.
    """
    consultation = joinable_consultation(session, user, consultation_id, lock=True)
    earlier = session.scalar(
        select(ConsultMessage).where(
            ConsultMessage.consultation_id == consultation.id,
            ConsultMessage.client_msg_id == client_msg_id,
        )
    )
    if earlier is not None:
        if earlier.sender_id != user.id:
            raise Conflict(
                "This client_msg_id was used by another participant; use a UUID.",
                detail_zh="这条消息与对方的消息编号重复，没有发出，请重新发送。",
            )
        return Posted(earlier, True, Outcome(consultation))
    if consultation.state not in OPEN_FOR_MESSAGES:
        raise Conflict(
            f"Consultation {consultation.id} is {consultation.state.value}; it takes no messages.",
            detail_zh=f"这次会诊{consultation.state.zh}，不能再发送消息。",
            state=consultation.state.value,
        )
    if attachment_id is not None:
        attachment = session.get(ConsultAttachment, attachment_id)
        if attachment is None or attachment.consultation_id != consultation.id:
            raise InvalidField.at(
                "data.attachment_id",
                f"No attachment {attachment_id} in this consultation.",
                zh="这次会诊中没有这个附件，请重新上传后再发送。",
            )
    consultation.last_seq += 1
    message = ConsultMessage(
        consultation_id=consultation.id,
        seq=consultation.last_seq,
        sender_id=user.id,
        kind=MessageKind.text if text is not None else MessageKind.attachment,
        text=text,
        attachment_id=attachment_id,
        client_msg_id=client_msg_id,
        sent_at=now,
    )
    session.add(message)
    outcome = Outcome(consultation)
    _start_if_accepted(consultation, now, outcome)
    session.flush()
    return Posted(message, False, outcome)


def typing_allowed(session: Session, user: User, consultation_id: int) -> Consultation:
    """A typing indicator passes only while the consultation still takes messages."""
    consultation = joinable_consultation(session, user, consultation_id)
    if consultation.state not in OPEN_FOR_MESSAGES:
        raise Conflict(
            f"Consultation {consultation.id} is {consultation.state.value}; it takes no messages.",
            detail_zh=f"这次会诊{consultation.state.zh}，不能再发送消息。",
            state=consultation.state.value,
        )
    return consultation


def signal_allowed(session: Session, user: User, consultation_id: int, kind: str) -> Outcome:
    """Check a WebRTC signal may pass (a party, call possible); an offer starts the consultation."""
    consultation = joinable_consultation(session, user, consultation_id)
    if not is_party(user, consultation):
        raise Forbidden(
            "Only the two parties place a call.",
            detail_zh="只有申请会诊的医生和接诊的专家可以发起通话。",
        )
    if consultation.state not in OPEN_FOR_CALLS:
        raise Conflict(
            f"Consultation {consultation.id} is {consultation.state.value}; no call is possible.",
            detail_zh=f"这次会诊{consultation.state.zh}，现在不能通话（专家接诊后才能通话）。",
            state=consultation.state.value,
        )
    outcome = Outcome(consultation)
    if kind == "offer":
        _start_if_accepted(consultation, utcnow(), outcome)
        session.flush()
    return outcome


def mark_read(
    session: Session, user: User, consultation_id: int, seq: int, *, now: dt.datetime
) -> ReadReceipt:
    """Move the user's read cursor forward (never back: receipts can arrive out of order)."""
    consultation = joinable_consultation(session, user, consultation_id)
    if seq > consultation.last_seq:
        raise InvalidField.at(
            "data.seq", f"There is no message {seq} yet.", zh="这条消息还没有收到，请刷新后重试。"
        )
    receipt = session.get(ReadReceipt, (consultation.id, user.id))
    if receipt is None:
        receipt = ReadReceipt(consultation_id=consultation.id, user_id=user.id, last_read_seq=0)
        session.add(receipt)
    if seq > receipt.last_read_seq:
        receipt.last_read_seq = seq
        receipt.read_at = now
    session.flush()
    return receipt


def close(
    session: Session, user: User, consultation_id: int, opinion: Opinion, *, now: dt.datetime
) -> Outcome:
    """The accepting specialist closes with a written opinion; it lands on the encounter, and
    "refer" opens (or adds to) a referral to the department."""
    consultation = joinable_consultation(session, user, consultation_id, lock=True)
    if consultation.specialist_id != user.id:
        raise Forbidden(
            "Only the specialist who accepted the consultation closes it.",
            detail_zh="只有接诊的专家可以结束会诊并给出意见。",
        )
    _transition(consultation, Action.close)
    consultation.ended_at = now
    consultation.opinion = opinion.model_dump(mode="json")
    encounter = session.get(Encounter, consultation.encounter_id)
    assert encounter is not None
    encounter.notes = _with_opinion(encounter.notes, consultation, opinion, user, now)
    if opinion.refer:
        referral = open_referral(
            session,
            patient=encounter.patient,
            department=consultation.department,
            source=ReferralSource.consultation,
            source_id=consultation.id,
            urgent=consultation.priority > 0,
            reasons=["consultation"],
            created_by=user,
            note=opinion.assessment,
        )
        consultation.referral_id = referral.id
    session.flush()
    outcome = Outcome(consultation)
    outcome.notices.append(_state_notice(consultation))
    return outcome


def _with_opinion(
    notes: str | None, consultation: Consultation, opinion: Opinion, user: User, now: dt.datetime
) -> str:
    lines = [
        f"【远程会诊意见 Consultation #{consultation.id} · {user.display_name} · "
        f"{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}】",
        f"诊断意见 Assessment: {opinion.assessment}",
        f"处理建议 Advice: {opinion.advice}",
    ]
    if opinion.prescription_advice:
        lines.append(f"用药建议 Prescription advice: {opinion.prescription_advice}")
    lines.append("建议转诊 Referral: " + ("是 yes" if opinion.refer else "否 no"))
    block = "\n".join(lines)
    return f"{notes}\n\n{block}" if notes else block


def cancel(
    session: Session, user: User, consultation_id: int, reason: str | None, *, now: dt.datetime
) -> Outcome:
    """The requesting doctor withdraws the request (or ends it before an opinion)."""
    consultation = joinable_consultation(session, user, consultation_id, lock=True)
    if consultation.requested_by_id != user.id and user.role != Role.admin:
        raise Forbidden(
            "Only the requesting doctor (or an admin) cancels a consultation.",
            detail_zh="只有申请会诊的医生（或管理员）可以取消会诊。",
        )
    was_waiting = consultation.state == ConsultState.requested
    _transition(consultation, Action.cancel)
    consultation.ended_at = now
    consultation.cancel_reason = reason
    session.flush()
    outcome = Outcome(consultation)
    outcome.notices.append(_state_notice(consultation))
    if was_waiting:
        everyone = _department_specialists(
            session, consultation.department_id, available_only=False
        )
        outcome.notices.append(_queue_notice("withdrawn", consultation, everyone))
    return outcome


# --- the opinion's read state, per doctor ----------------------------------------------------


def unread_opinions(
    session: Session, user: User, consultations: Iterable[Consultation]
) -> set[int]:
    """Of ``consultations``, those whose opinion ``user`` asked for and has not opened yet."""
    asked = [c.id for c in consultations if c.opinion is not None and c.requested_by_id == user.id]
    if not asked:
        return set()
    read = set(
        session.scalars(
            select(OpinionRead.consultation_id).where(
                OpinionRead.user_id == user.id, OpinionRead.consultation_id.in_(asked)
            )
        )
    )
    return set(asked) - read


def mark_opinion_read(
    session: Session, user: User, consultation_id: int, *, now: dt.datetime
) -> Consultation:
    """The doctor opened the opinion: it is read for them from now on (again: no change)."""
    consultation = joinable_consultation(session, user, consultation_id)
    if consultation.opinion is None:
        raise Conflict(
            f"Consultation {consultation.id} has no opinion yet.",
            detail_zh="该会诊尚无专家意见，请等专家结束会诊后再查看。",
            state=consultation.state.value,
        )
    if session.get(OpinionRead, (consultation.id, user.id)) is None:
        session.add(OpinionRead(consultation_id=consultation.id, user_id=user.id, read_at=now))
        session.flush()
    return consultation


# --- notices ---------------------------------------------------------------------------------


def _queue_notice(change: str, consultation: Consultation, user_ids: Iterable[int]) -> Notice:
    payload = {"change": change, "consultation": consultation_out(consultation)}
    return Notice("queue_changed", payload, _to_users(user_ids))


def _state_notice(consultation: Consultation, notified: int | None = None) -> Notice:
    """The parties (and the room) hear every change of state or escalation."""
    payload: dict[str, Any] = {"consultation": consultation_out(consultation)}
    if notified is not None:
        payload["specialists_notified"] = notified
    return Notice("consultation", payload, _parties_rooms(consultation))


# --- timed work ------------------------------------------------------------------------------


def escalate_and_expire(session: Session, now: dt.datetime, timeouts) -> list[Notice]:
    """One scheduler step for every waiting request: escalate one level, or expire it.

    Each change is a conditional UPDATE on the level or state it was decided from, so even two
    schedulers running at once (a lease taken over mid-tick) apply each step once.
    """
    from gpassist.consult.states import due_step

    notices: list[Notice] = []
    waiting = session.scalars(
        select(Consultation).where(Consultation.state == ConsultState.requested)
    ).all()
    for consultation in waiting:
        step = due_step(
            Escalation(consultation.escalation), consultation.requested_at, now, timeouts
        )
        if step is None:
            continue
        if step == Action.expire:
            changed = _conditional(
                session,
                consultation,
                {"state": ConsultState.expired, "ended_at": now},
                Consultation.state == ConsultState.requested,
            )
            if changed:
                notices.append(_state_notice(consultation))
                everyone = _department_specialists(
                    session, consultation.department_id, available_only=False
                )
                notices.append(_queue_notice("expired", consultation, everyone))
            continue
        level = Escalation(step)
        changed = _conditional(
            session,
            consultation,
            {"escalation": int(level)},
            Consultation.escalation == consultation.escalation,
        )
        if not changed:
            continue
        if level == Escalation.department:
            targets = _department_specialists(
                session, consultation.department_id, available_only=False
            )
        else:
            targets = _admins(session)
        notices.append(_queue_notice("escalated", consultation, targets))
        notices.append(_state_notice(consultation, notified=len(targets)))
    return notices


def _conditional(session: Session, consultation: Consultation, values: dict, condition) -> bool:
    done = session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation.id,
            Consultation.state == ConsultState.requested,
            condition,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(consultation)
    if done.rowcount == 1:
        record_event(session, "scheduler", "consultations", consultation.id, _jsonable(values))
    return done.rowcount == 1


def _jsonable(values: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, dt.datetime) else str(v)) for k, v in values.items()}
