"""Users, their API tokens, and login throttling."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gpassist.db import Base, BigId, UTCDateTime, str_enum, utcnow
from gpassist.labels import LabelledEnum


class Role(LabelledEnum):
    village_doctor = "village_doctor", "村医", "Village doctor"
    specialist = "specialist", "专科医生", "Specialist"
    pharmacist = "pharmacist", "药师", "Pharmacist"
    admin = "admin", "管理员", "Administrator"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    clinic = relationship("Facility", foreign_keys=[clinic_id], lazy="joined")
    department = relationship("Department", foreign_keys=[department_id], lazy="joined")


class ApiToken(Base):
    """A bearer token. Only its SHA-256 is stored: a database leak yields no usable token."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed logins per username (known or not, so throttling reveals nothing)."""

    __tablename__ = "login_throttles"
    __audit__ = False  # keyed by what was typed as a username; login events are audited instead

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
