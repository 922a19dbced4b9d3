"""Consultations and messages as JSON-ready dicts, the same for HTTP responses and socket events."""

from __future__ import annotations

from typing import Any

from gpassist.consult.schemas import ConsultationOut, MessageOut
from gpassist.consult.states import Escalation
from gpassist.consult.tables import Consultation, ConsultMessage
from gpassist.schemas import Text


def consultation_model(
    consultation: Consultation, unread: frozenset[int] | set[int] = frozenset()
) -> ConsultationOut:
    """A consultation as the API and the socket events describe it; ``unread``: the ids whose
    opinion the caller has not opened yet."""
    department = consultation.department
    return ConsultationOut(
        id=consultation.id,
        encounter_id=consultation.encounter_id,
        patient_id=consultation.patient_id,
        clinic_id=consultation.clinic_id,
        requested_by_id=consultation.requested_by_id,
        department=f"{department.facility.code}/{department.code}",
        urgency=consultation.urgency,
        reason=consultation.reason,
        summary=consultation.summary,
        state=consultation.state,
        escalation=Escalation(consultation.escalation).name,
        specialist_id=consultation.specialist_id,
        last_seq=consultation.last_seq,
        requested_at=consultation.requested_at,
        accepted_at=consultation.accepted_at,
        started_at=consultation.started_at,
        ended_at=consultation.ended_at,
        opinion=consultation.opinion,
        referral_id=consultation.referral_id,
        department_name=Text(
            zh=f"{department.facility.name_zh} {department.name_zh}",
            en=f"{department.facility.name_en} {department.name_en}",
        ),
        opinion_unread=consultation.id in unread,
    )


def consultation_out(consultation: Consultation) -> dict[str, Any]:
    """``consultation_model`` as JSON-ready data, for a Socket.IO payload."""
    return consultation_model(consultation).model_dump(mode="json")


def message_model(message: ConsultMessage) -> MessageOut:
    """A stored chat message (text or image) with its sequence number."""
    return MessageOut(
        consultation_id=message.consultation_id,
        seq=message.seq,
        sender_id=message.sender_id,
        kind=message.kind.value,
        text=message.text,
        attachment_id=message.attachment_id,
        client_msg_id=message.client_msg_id,
        sent_at=message.sent_at,
    )


def message_out(message: ConsultMessage) -> dict[str, Any]:
    """``message_model`` as JSON-ready data, for a Socket.IO payload."""
    return message_model(message).model_dump(mode="json")
