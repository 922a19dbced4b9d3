"""The append-only audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from gpassist.db import Base, BigId, JsonDoc, UTCDateTime, utcnow


class AuditEvent(Base):
    """One write: ``action`` on ``entity`` (a table) row ``entity_id`` by ``actor``.

    ``changes`` names the fields written, never their values, so the log holds no patient data
    and no secrets.
    """

    __tablename__ = "audit_events"
    __audit__ = False

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(64), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    request_id: Mapped[str | None] = mapped_column(String(64))
