"""Diagnosis suggestions stored on an encounter, and the diagnoses the doctor confirmed."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, str_enum, utcnow
from gpassist.diagnosis.triage import Level as TriageLevel


class SuggestionMode(enum.StrEnum):
    suggest = "suggest"
    interview = "interview"


class DiagnosisSuggestion(Base):
    """What the model suggested for one encounter, with the exact model version and request, so
    a suggestion can be reproduced and audited later."""

    __tablename__ = "diagnosis_suggestions"
    __table_args__ = (Index("ix_diagnosis_suggestions_encounter", "encounter_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"))
    mode: Mapped[SuggestionMode] = mapped_column(str_enum(SuggestionMode))
    model_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    # {age, sex, evidence: {code: present|absent|unknown}, vitals: {...}}
    request: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # top 10, each a schemas.StoredCondition: {condition, icd10, zh, en, probability,
    # supporting: [symptom codes]}
    differential: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    triage_level: Mapped[TriageLevel] = mapped_column(str_enum(TriageLevel))
    # [{code, level, field, value, source}]
    triage_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    out_of_scope: Mapped[bool] = mapped_column(Boolean)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConfirmedDiagnosis(Base):
    """A diagnosis the doctor confirmed on an encounter, compared with the latest suggestion."""

    __tablename__ = "diagnosis_confirmations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("diagnosis_suggestions.id"))
    model_name: Mapped[str | None] = mapped_column(String(64))
    condition_code: Mapped[str | None] = mapped_column(String(200))
    icd10: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    # None when there was no suggestion to compare with.
    matched_top1: Mapped[bool | None] = mapped_column(Boolean)
    in_top3: Mapped[bool | None] = mapped_column(Boolean)
    confirmed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
