"""Consultations, their message log, attachments, read receipts and specialist availability."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.clinics.tables import Department
from gpassist.consult.states import ConsultState, Urgency
from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow


class MessageKind(enum.StrEnum):
    text = "text"
    attachment = "attachment"


class Consultation(Base):
    """远程会诊: a village doctor's case put to a county specialist, from one encounter."""

    __tablename__ = "consultations"
    __table_args__ = (
        # The routing query: waiting requests of a department, most urgent then oldest first.
        Index("ix_consultations_queue", "department_id", "state", "priority", "requested_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    clinic_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency))
    priority: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    summary: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    state: Mapped[ConsultState] = mapped_column(str_enum(ConsultState))
    escalation: Mapped[int] = mapped_column(Integer, default=0)
    specialist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opinion: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    department: Mapped[Department] = relationship(lazy="joined")


class ConsultMessage(Base):
    """One chat message. ``seq`` is gap-free per consultation and assigned when it is stored."""

    __tablename__ = "consult_messages"
    __table_args__ = (
        UniqueConstraint("consultation_id", "seq"),
        UniqueConstraint("consultation_id", "client_msg_id"),
    )
    __audit__ = False  # the message log is itself the record, and may be large

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[MessageKind] = mapped_column(str_enum(MessageKind))
    text: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("consult_attachments.id"))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConsultAttachment(Base):
    """An image (an ECG photo, a rash) uploaded over HTTP; kept in the database so every server
    process can serve it."""

    __tablename__ = "consult_attachments"
    __audit__ = False  # the bytes are not audit material; the message that cites it is logged

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    media_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReadReceipt(Base):
    """How far one participant has read a consultation's log."""

    __tablename__ = "consult_read_receipts"
    __audit__ = False  # a high-rate cursor, not a clinical record

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpecialistAvailability(Base):
    """A specialist's "I can take consultations now" switch for a department; survives restarts."""

    __tablename__ = "specialist_availability"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), primary_key=True)
    available: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class OpinionRead(Base):
    """A doctor has opened a consultation's opinion: no more "unread" marker for them."""

    __tablename__ = "consult_opinion_reads"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    read_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
