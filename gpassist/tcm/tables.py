"""A TCM suggestion stored on an encounter (as the Western suggestion is), with its model version
and the request, so it can be reproduced and audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class TcmSuggestion(Base):
    __tablename__ = "tcm_suggestions"
    __table_args__ = (Index("ix_tcm_suggestions_encounter", "encounter_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"))
    model_name: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(64))
    # the request body without encounter_id: free text and structured entries
    request: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    disease: Mapped[str] = mapped_column(String(64))
    disease_probability: Mapped[float] = mapped_column(Float)
    # each a schemas.StoredSyndrome: {zh, probability, suggested, supporting: [{zh, block,
    # negated}]}, most probable first
    syndromes: Mapped[list[dict[str, Any]]] = mapped_column(JsonDoc)
    out_of_scope: Mapped[bool] = mapped_column(Boolean)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
