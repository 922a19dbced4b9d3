"""Pydantic building blocks shared by every capability's request and response models.

Request models (``ApiModel``, ``Page``) refuse text holding bidirectional control characters
anywhere in their input, and ``validate_json_data`` validates a JSON body strictly: a boolean or
a string is not a number (docs/api.md, "Input rules").
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from gpassist.db import SHANGHAI
from gpassist.labels import LabelledEnum
from gpassist.messages_zh import rule_error

# Embeddings, overrides and isolates (U+202A–202E, U+2066–2069), the implicit marks (U+200E,
# U+200F, U+061C): invisible, they make a stored name display as something else (a patient's
# name reversed on a receipt, "txt.exe" shown as "exe.txt"). No Chinese or English text needs them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
BIDI_MESSAGE = (
    "text may not contain bidirectional control characters "
    "(U+202A–202E, U+2066–2069, U+200E, U+200F, U+061C)"
)

Model = TypeVar("Model", bound=BaseModel)


def _storable_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded as UTF-8: refuse
    # both here with a field path rather than fail in the database with a 500.
    if "\x00" in value:
        raise rule_error(
            "text may not contain NUL characters",
            "文字中有不可见的空字符，请重新输入，不要粘贴。",
        )
    if BIDI_CONTROLS.search(value):
        raise PydanticCustomError("bidi_control", BIDI_MESSAGE)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise rule_error(
            "text must be valid Unicode (no lone surrogates)",
            "文字中有无法保存的字符，请重新输入，不要粘贴。",
        ) from exc
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


def _bidi_errors(value: Any, loc: tuple[str | int, ...]) -> list[InitErrorDetails]:
    if isinstance(value, str):
        if BIDI_CONTROLS.search(value):
            return [
                InitErrorDetails(
                    type=PydanticCustomError("bidi_control", BIDI_MESSAGE), loc=loc, input=value
                )
            ]
        return []
    found: list[InitErrorDetails] = []
    if isinstance(value, RequestModel):
        pass  # checked itself when it was validated
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            found += _bidi_errors(getattr(value, name), (*loc, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            found += _bidi_errors(key, (*loc, str(key))) if isinstance(key, str) else []
            found += _bidi_errors(item, (*loc, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += _bidi_errors(item, (*loc, index))
    elif isinstance(value, set | frozenset):
        found += [e for item in value for e in _bidi_errors(item, loc)]
    return found


class RequestModel(BaseModel):
    """What every request model shares: no bidirectional control characters in any text.

    Checked on the validated fields, so a field typed plain ``str`` (or a dict's keys) is covered
    too, and reported at the field's own path (``body.name``). (An ``after`` check: a ``before``
    one would make pydantic validate a JSON body as Python objects, losing strict JSON mode.)
    """

    @model_validator(mode="after")
    def _refuse_bidi_controls(self) -> Any:
        errors: list[InitErrorDetails] = []
        for name in type(self).model_fields:
            errors += _bidi_errors(getattr(self, name), (name,))
        if errors:
            raise ValidationError.from_exception_data(type(self).__name__, errors)
        return self


class ApiModel(RequestModel):
    """Request models: unknown fields are refused so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def validate_json_data(model: type[Model], data: Any) -> Model:
    """Validate decoded JSON (a request body, an event's payload) in pydantic's strict mode.

    Strict with JSON's own types: ``true`` is not 1 and ``"5"`` is not 5 (a query string, all
    text, is validated in lax mode instead), while dates, enums and lists still come as JSON
    writes them. Data that Python's JSON reader took but pydantic's refuses (a lone surrogate
    escape) is validated once more in lax mode only to report the error at its field.
    """
    try:
        return model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            model.model_validate(data)  # raises with the field's path
        raise


class OutModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Text(OutModel):
    zh: str
    en: str


class Page(RequestModel):
    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=500)
    offset: int = Field(default=0, ge=0, le=1_000_000)


def label_text(member: LabelledEnum) -> Text:
    """The bilingual ``Text`` of a labelled enum member (a role, a payer, a status)."""
    return Text(zh=member.zh, en=member.en)


def text_of(obj: Any, prefix: str) -> Text:
    """Build a bilingual ``Text`` from ``<prefix>_zh`` / ``<prefix>_en`` attributes."""
    return Text(zh=getattr(obj, f"{prefix}_zh"), en=getattr(obj, f"{prefix}_en"))
