"""Users, logins, tokens and throttling. Plain functions on a session; no Flask."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gpassist.audit.service import record_event
from gpassist.auth.passwords import (
    DUMMY_HASH,
    MIN_PASSWORD_LENGTH,
    hash_password,
    needs_rehash,
    verify_password,
)
from gpassist.auth.tables import ApiToken, LoginThrottle, Role, User
from gpassist.clinics.tables import Department, Facility, FacilityKind
from gpassist.db import utcnow
from gpassist.errors import Conflict, InvalidField, NotFound


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many wrong passwords in a row lock an account, and for how long."""

    max_failures: int = 5
    lock_minutes: float = 15.0


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret, shown once, and its stored record (which keeps only a hash)."""

    token: str
    record: ApiToken


class LoginOutcome:
    """What a login attempt came to; the caller commits before answering."""

    def __init__(
        self,
        user: User | None,
        issued: IssuedToken | None = None,
        locked_until: dt.datetime | None = None,
    ):
        self.user = user
        self.issued = issued
        self.locked_until = locked_until


def hash_token(token: str) -> str:
    """The SHA-256 hex digest under which a token is stored and looked up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def validate_password(password: str, field: str = "body.password") -> None:
    """Raise ``InvalidField`` at ``field`` when the password is too short for the rules."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidField.at(
            field,
            f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
            "too_short",
            zh=f"密码至少 {MIN_PASSWORD_LENGTH} 个字符。",
        )


def create_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    clinic_code: str | None = None,
    department: tuple[str, str] | None = None,
) -> User:
    """Create a user bound to what their role needs: a village clinic, or a hospital department.

    ``department`` is ``(facility_code, department_code)``.
    """
    validate_password(password)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict(
            f"The username {username!r} is taken.", detail_zh=f"用户名 {username} 已被使用。"
        )
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(password),
        role=role,
    )
    if role == Role.village_doctor:
        user.clinic_id = _village_clinic_id(session, clinic_code)
    elif clinic_code is not None:
        raise InvalidField.at(
            "body.clinic_code",
            "Only village doctors belong to a clinic.",
            zh="只有村医属于卫生室。",
        )
    if role == Role.specialist:
        user.department_id = _department_id(session, department)
    elif department is not None:
        raise InvalidField.at(
            "body.department",
            "Only specialists belong to a department.",
            zh="只有专科医生属于医院科室。",
        )
    session.add(user)
    session.flush()
    return user


def _village_clinic_id(session: Session, clinic_code: str | None) -> int:
    if not clinic_code:
        raise InvalidField.at(
            "body.clinic_code",
            "A village doctor needs a village clinic.",
            zh="请为村医选择卫生室。",
        )
    facility = session.scalar(select(Facility).where(Facility.code == clinic_code))
    if facility is None or facility.kind != FacilityKind.village_clinic:
        raise InvalidField.at(
            "body.clinic_code",
            f"No village clinic has code {clinic_code!r}.",
            zh=f"没有代码为 {clinic_code} 的卫生室。",
        )
    return facility.id


def _department_id(session: Session, department: tuple[str, str] | None) -> int:
    if department is None:
        raise InvalidField.at(
            "body.department",
            "A specialist needs a hospital department.",
            zh="请为专科医生选择医院科室。",
        )
    facility_code, department_code = department
    found = session.scalar(
        select(Department.id)
        .join(Facility, Department.facility_id == Facility.id)
        .where(Facility.code == facility_code, Department.code == department_code)
    )
    if found is None:
        raise InvalidField.at(
            "body.department",
            f"No department {department_code!r} at {facility_code!r}.",
            zh=f"{facility_code} 没有科室 {department_code}。",
        )
    return found


def login(
    session: Session,
    username: str,
    password: str,
    *,
    ttl: dt.timedelta,
    policy: ThrottlePolicy,
    now: dt.datetime | None = None,
) -> LoginOutcome:
    """Check a password and issue a token, counting failures per username.

    The username's throttle row is locked before the password is checked, so concurrent guesses
    are counted one after another and none slips past the limit. A locked username is refused
    without looking at the password, so guessing stops even when the guess would be right.
    """
    now = now or utcnow()
    throttle = _locked_throttle(session, username)
    if throttle.locked_until is not None and throttle.locked_until > now:
        return LoginOutcome(None, locked_until=throttle.locked_until)
    user = session.scalar(select(User).where(User.username == username))
    valid = verify_password(user.password_hash if user else DUMMY_HASH, password)
    if user is None or not valid or not user.active:
        # Never the typed username in the log: people type passwords into that field.
        detail = {} if user else {"unknown_username": True}
        record_event(session, "login_failed", "users", user.id if user else None, detail)
        return LoginOutcome(None, locked_until=_count_failure(throttle, policy, now))
    session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    issued = issue_token(session, user, ttl=ttl, now=now)
    record_event(session, "login", "users", user.id, {})
    return LoginOutcome(user, issued=issued)


def _locked_throttle(session: Session, username: str) -> LoginThrottle:
    """The username's throttle row, created if need be, locked until the transaction ends."""
    throttle = session.get(LoginThrottle, username, with_for_update=True, populate_existing=True)
    if throttle is not None:
        return throttle
    try:
        with session.begin_nested():
            throttle = LoginThrottle(username=username, failures=0)
            session.add(throttle)
        return throttle
    except IntegrityError:  # a concurrent attempt created it first: wait for its lock
        throttle = session.get(
            LoginThrottle, username, with_for_update=True, populate_existing=True
        )
        assert throttle is not None
        return throttle


def _count_failure(
    throttle: LoginThrottle, policy: ThrottlePolicy, now: dt.datetime
) -> dt.datetime | None:
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= policy.max_failures:
        throttle.locked_until = now + dt.timedelta(minutes=policy.lock_minutes)
        throttle.failures = 0  # after the lock expires the count starts afresh
        return throttle.locked_until
    return None


def issue_token(
    session: Session, user: User, *, ttl: dt.timedelta, now: dt.datetime | None = None
) -> IssuedToken:
    """Issue a bearer token for ``user`` valid for ``ttl``; returns the secret and its record."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id, token_hash=hash_token(token), created_at=now, expires_at=now + ttl
    )
    session.add(record)
    session.flush()
    return IssuedToken(token, record)


def user_for_token(session: Session, token: str, now: dt.datetime | None = None) -> User | None:
    """The active user a live token belongs to, or None."""
    now = now or utcnow()
    record = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if record is None or record.revoked_at is not None or record.expires_at <= now:
        return None
    if not record.user.active:
        return None
    return record.user


def revoke_token(session: Session, token: str, now: dt.datetime | None = None) -> int | None:
    """Revoke one token; returns its user's id (None if it was not live)."""
    record = session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None)
        )
    )
    if record is None:
        return None
    record.revoked_at = now or utcnow()
    session.flush()
    return record.user_id


def revoke_all_tokens(session: Session, user_id: int, now: dt.datetime | None = None) -> None:
    """Revoke every live token of the user (logout everywhere, password reset, lockout)."""
    live = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    for record in live:
        record.revoked_at = now or utcnow()
    session.flush()


def get_user(session: Session, user_id: int) -> User:
    """The user with this id; raises ``NotFound``."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.", detail_zh="没有这个用户。")
    return user


def reset_password(session: Session, user_id: int, new_password: str) -> User:
    """Set a new password and end every session the user had."""
    validate_password(new_password, field="body.new_password")
    user = get_user(session, user_id)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    revoke_all_tokens(session, user.id)
    unlock(session, user.username)
    session.flush()
    return user


def unlock(session: Session, username: str) -> bool:
    """Clear a throttled username; True when there was something to clear."""
    throttle = session.get(LoginThrottle, username)
    if throttle is None:
        return False
    session.delete(throttle)
    session.flush()
    return True


def list_users(
    session: Session,
    limit: int,
    offset: int,
    search: str | None = None,
    locked_only: bool | None = None,
    now: dt.datetime | None = None,
) -> list[tuple[User, dt.datetime | None]]:
    """One page of users in id order, each with the time their login stays locked until (None:
    not locked); ``search`` matches the username, name, clinic code or clinic name."""
    now = now or utcnow()
    lock = (
        select(LoginThrottle.username, LoginThrottle.locked_until)
        .where(LoginThrottle.locked_until > now)
        .subquery()
    )
    query = (
        select(User, lock.c.locked_until)
        .outerjoin(lock, lock.c.username == User.username)
        .outerjoin(Facility, User.clinic_id == Facility.id)
    )
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            func.lower(User.username).like(pattern)
            | func.lower(User.display_name).like(pattern)
            | func.lower(Facility.code).like(pattern)
            | Facility.name_zh.like(f"%{search}%")
            | func.lower(Facility.name_en).like(pattern)
        )
    if locked_only is True:
        query = query.where(lock.c.locked_until.is_not(None))
    elif locked_only is False:
        query = query.where(lock.c.locked_until.is_(None))
    query = query.order_by(User.id).limit(limit).offset(offset)
    return [(user, until) for user, until in session.execute(query).unique()]
