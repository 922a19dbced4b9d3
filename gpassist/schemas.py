"""Pydantic building blocks shared by every capability's request and response models."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer

from gpassist.db import SHANGHAI
from gpassist.labels import LabelledEnum


def _storable_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8: refuse
    # both here with a field path rather than fail in the database with a 500.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from exc
    return value


Str = Annotated[str, AfterValidator(_storable_text)]


def _shanghai(value: dt.datetime) -> str:
    return value.astimezone(SHANGHAI).isoformat()


LocalDateTime = Annotated[
    dt.datetime,
    PlainSerializer(_shanghai, return_type=str, when_used="json"),
    Field(description="ISO 8601, shown in Asia/Shanghai (+08:00); stored in UTC"),
]

DbId = Annotated[int, Field(ge=1, le=999_999_999_999_999_999)]


class ApiModel(BaseModel):
    """Request models: unknown fields are refused so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Text(OutModel):
    zh: str
    en: str


class Page(BaseModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def label_text(member: LabelledEnum) -> Text:
    """The bilingual ``Text`` of a labelled enum member (a role, a payer, a status)."""
    return Text(zh=member.zh, en=member.en)


def text_of(obj: Any, prefix: str) -> Text:
    """Build a bilingual ``Text`` from ``<prefix>_zh`` / ``<prefix>_en`` attributes."""
    return Text(zh=getattr(obj, f"{prefix}_zh"), en=getattr(obj, f"{prefix}_en"))
