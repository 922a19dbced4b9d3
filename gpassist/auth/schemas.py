"""Request and response models for logging in, users and the audit log."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from gpassist.auth.tables import Role
from gpassist.schemas import ApiModel, LocalDateTime, OutModel, Page, Str, Text

Username = Annotated[Str, Field(min_length=1, max_length=64)]
Password = Annotated[Str, Field(min_length=1, max_length=200)]


class VerbatimModel(ApiModel):
    """Passwords are taken exactly as typed: no whitespace stripping."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class TokenRequest(VerbatimModel):
    username: Username
    password: Password


class UserOut(OutModel):
    id: int
    username: str
    display_name: str
    role: Role
    role_name: Text
    clinic_code: str | None
    clinic_name: Text | None = Field(default=None, description="the village clinic's name")
    department: str | None = Field(description="<facility code>/<department code>")
    active: bool
    locked_until: LocalDateTime | None = Field(
        default=None,
        description="in the user list: login refused until then after too many failures",
    )


class TokenOut(OutModel):
    access_token: str
    token_type: str = "Bearer"
    expires_at: LocalDateTime
    user: UserOut


class UserIn(VerbatimModel):
    username: Annotated[Str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{2,63}$")]
    display_name: Annotated[Str, Field(min_length=1, max_length=100)]
    password: Password
    role: Role
    clinic_code: Annotated[Str, Field(max_length=64)] | None = None
    department: Annotated[Str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")] | None = Field(
        default=None, description="<facility code>/<department code>, for specialists"
    )


class PasswordReset(VerbatimModel):
    new_password: Password


class UserQuery(Page):
    q: Annotated[Str, Field(max_length=64)] | None = Field(
        default=None, description="part of the username, name, clinic code or clinic name"
    )
    locked: bool | None = Field(default=None, description="only locked (true) or unlocked users")


class UserList(OutModel):
    items: list[UserOut]


class UnlockOut(OutModel):
    username: str
    was_locked: bool


class AuditQuery(Page):
    entity: Annotated[Str, Field(max_length=64)] | None = None
    entity_id: Annotated[Str, Field(max_length=64)] | None = None
    actor: Annotated[Str, Field(max_length=64)] | None = None


class AuditEventOut(OutModel):
    id: int
    at: LocalDateTime
    actor: str
    actor_id: int | None
    action: str
    entity: str
    entity_id: str | None
    changes: dict
    request_id: str | None


class AuditEventList(OutModel):
    items: list[AuditEventOut]
