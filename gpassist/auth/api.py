"""HTTP: log in and out, who am I, and user administration (admins)."""

from __future__ import annotations

import datetime as dt
import math

from flask import Blueprint, current_app, request

from gpassist.audit.service import list_events
from gpassist.auth import service
from gpassist.auth.credentials import bearer_token
from gpassist.auth.events import end_user_sockets
from gpassist.auth.present import user_out
from gpassist.auth.ratelimit import count_login_attempt
from gpassist.auth.schemas import (
    AuditEventList,
    AuditEventOut,
    AuditQuery,
    PasswordReset,
    TokenOut,
    TokenRequest,
    UnlockOut,
    UserIn,
    UserList,
    UserOut,
    UserQuery,
)
from gpassist.auth.tables import Role
from gpassist.db import utcnow
from gpassist.endpoints import endpoint, request_session
from gpassist.errors import TooManyRequests, Unauthorized

bp = Blueprint("auth", __name__, url_prefix="/api/v1")
TAG = "auth"
ADMIN = {Role.admin}


@endpoint(
    bp,
    "/auth/token",
    "POST",
    summary="Log in: exchange username and password for a token",
    tag=TAG,
    public=True,
    body=TokenRequest,
    response=TokenOut,
    status=201,
    errors=(401, 429),
)
def create_token(body: TokenRequest):
    verdict = count_login_attempt(request.remote_addr or "-")
    if not verdict.allowed:
        wait = verdict.retry_after_seconds
        raise TooManyRequests(
            f"Too many login attempts from this address; try again in {wait} s.",
            detail_zh=f"登录尝试过多，请 {wait} 秒后再试。",
            headers={"Retry-After": str(wait)},
            retry_after_seconds=wait,
        )
    session = request_session()
    config = current_app.config
    outcome = service.login(
        session,
        body.username,
        body.password,
        ttl=dt.timedelta(hours=config["TOKEN_TTL_HOURS"]),
        policy=service.ThrottlePolicy(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"]),
    )
    if outcome.issued is None:
        session.commit()  # the failure count must persist although we answer with an error
        if outcome.locked_until is not None:
            wait = max(1, math.ceil((outcome.locked_until - utcnow()).total_seconds()))
            raise TooManyRequests(
                "Too many failed logins; wait or ask an admin to unlock the account.",
                detail_zh="登录失败次数过多，请稍后再试，或请管理员解锁账号。",
                headers={"Retry-After": str(wait)},
                retry_after_seconds=wait,
            )
        raise Unauthorized("Wrong username or password.", detail_zh="用户名或密码错误。")
    assert outcome.user is not None
    return TokenOut(
        access_token=outcome.issued.token,
        expires_at=outcome.issued.record.expires_at,
        user=user_out(outcome.user),
    )


@endpoint(
    bp, "/auth/token", "DELETE", summary="Log out: revoke the caller's token", tag=TAG, status=204
)
def revoke_token(user):
    service.revoke_token(request_session(), bearer_token() or "")
    end_user_sockets(user.id)


@endpoint(bp, "/auth/me", "GET", summary="The caller", tag=TAG, response=UserOut)
def me(user):
    return user_out(user)


@endpoint(
    bp,
    "/users",
    "GET",
    summary="List users (search by username, name or clinic; each with its lock state)",
    tag=TAG,
    roles=ADMIN,
    query=UserQuery,
    response=UserList,
)
def list_users(user, query: UserQuery):
    found = service.list_users(
        request_session(), query.limit, query.offset, search=query.q, locked_only=query.locked
    )
    return UserList(items=[user_out(u, until) for u, until in found])


@endpoint(
    bp,
    "/users",
    "POST",
    summary="Create a user",
    tag=TAG,
    roles=ADMIN,
    body=UserIn,
    response=UserOut,
    status=201,
    errors=(409,),
)
def create_user(user, body: UserIn):
    department = tuple(body.department.split("/", 1)) if body.department else None
    created = service.create_user(
        request_session(),
        username=body.username,
        display_name=body.display_name,
        password=body.password,
        role=body.role,
        clinic_code=body.clinic_code,
        department=department,  # type: ignore[arg-type]
    )
    return user_out(created)


@endpoint(
    bp,
    "/users/<id:user_id>/password",
    "POST",
    summary="Reset a user's password (ends all their sessions)",
    tag=TAG,
    roles=ADMIN,
    body=PasswordReset,
    response=UserOut,
)
def reset_password(user, user_id: int, body: PasswordReset):
    target = service.reset_password(request_session(), user_id, body.new_password)
    end_user_sockets(target.id)
    return user_out(target)


@endpoint(
    bp,
    "/users/<id:user_id>/unlock",
    "POST",
    summary="Lift login throttling for a user",
    tag=TAG,
    roles=ADMIN,
    response=UnlockOut,
)
def unlock_user(user, user_id: int):
    target = service.get_user(request_session(), user_id)
    return UnlockOut(
        username=target.username, was_locked=service.unlock(request_session(), target.username)
    )


@endpoint(
    bp,
    "/audit-events",
    "GET",
    summary="Read the audit log, newest first",
    tag="audit",
    roles=ADMIN,
    query=AuditQuery,
    response=AuditEventList,
)
def list_audit_events(user, query: AuditQuery):
    found = list_events(
        request_session(),
        entity=query.entity,
        entity_id=query.entity_id,
        actor=query.actor,
        limit=query.limit,
        offset=query.offset,
    )
    return AuditEventList(items=[AuditEventOut.model_validate(e) for e in found])
