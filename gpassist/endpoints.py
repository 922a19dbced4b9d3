"""The thin layer every JSON endpoint goes through.

``endpoint`` registers a Flask view together with its pydantic request and response models (which
also feed the OpenAPI document), authenticates the bearer token, checks the role, validates the
query string and body, runs the view, commits the request's session once, and serializes the
result with the response model. Views stay a few lines: parse → service → serialize.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, g, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session
from werkzeug.routing import BaseConverter

from gpassist.actions_zh import role_refusal_zh
from gpassist.errors import (
    BadRequest,
    Forbidden,
    InvalidField,
    Unauthorized,
    UnsupportedMediaType,
    validation_problem,
)
from gpassist.schemas import validate_json_data

JSON = "application/json"


@dataclass
class Operation:
    """One documented endpoint: what it takes, what it returns, who may call it."""

    rule: str
    method: str
    endpoint: str
    summary: str
    tag: str
    roles: frozenset[str] | None  # None: any authenticated user
    public: bool = False
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    path_params: dict[str, str] = field(default_factory=dict)
    # What a success answers; several for a file whose type varies (an attachment's image type).
    media_types: tuple[str, ...] = (JSON,)

    @property
    def answers_json(self) -> bool:
        return self.media_types == (JSON,)


class Registry:
    def __init__(self) -> None:
        self.operations: list[Operation] = []


REGISTRY = Registry()


class CodeConverter(BaseConverter):
    """A registry code (facility, drug, …): letters, digits, ``_ . -``; anything else is a 404."""

    regex = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}"


class IdConverter(BaseConverter):
    """A positive database id that fits a BIGINT; anything else is a 404, never an overflow."""

    regex = r"[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        return str(int(value))


def request_session() -> Session:
    """The request's one session; committed by ``endpoint``, rolled back by the error handlers."""
    session = g.get("db_session")
    if session is None:
        database = current_app.extensions["gpassist.db"]
        reading = request.method in ("GET", "HEAD")  # GET handlers never write
        session = (database.read_sessionmaker if reading else database.sessionmaker)()
        g.db_session = session
    return session


def close_request_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def current_user():
    """The authenticated user of this request (set by ``endpoint``)."""
    return g.user


# The pages always send JSON: a body that is not is the page's fault, not the user's.
_PAGE_FAULT_ZH = "页面发送的内容有误，没有保存。请刷新页面后再试。"
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


def idempotency_key() -> str:
    """The request's ``Idempotency-Key`` header; a missing or malformed one is a 422 naming
    ``header.Idempotency-Key``. Endpoints that charge money (settling a bill) require it, so a
    retried request replays the first result instead of charging twice."""
    key = request.headers.get("Idempotency-Key", "")
    if not _IDEMPOTENCY_KEY.match(key):
        raise InvalidField.at(
            "header.Idempotency-Key",
            "Send an Idempotency-Key header (8–128 letters, digits, _ . : -), new for each bill.",
            "missing",
            zh="页面没有附上防重复提交的编号，没有保存。请刷新页面后再试。",
        )
    return key


def optional_idempotency_key() -> str | None:
    """The ``Idempotency-Key`` header where an endpoint takes one but does not require it
    (recording a visit): None when absent, 422 when malformed."""
    if "Idempotency-Key" not in request.headers:
        return None
    return idempotency_key()


def authenticate_request(session: Session):
    from gpassist.auth import service as auth_service
    from gpassist.auth.credentials import bearer_token, session_token_for_request

    token = bearer_token() or session_token_for_request()
    if token is None:
        raise Unauthorized(
            "Send 'Authorization: Bearer <token>' (POST /api/v1/auth/token).",
            detail_zh="您还没有登录，请登录后再试。",
        )
    user = auth_service.user_for_token(session, token)
    if user is None:
        raise Unauthorized(
            "The token is unknown, expired or revoked; log in again.",
            detail_zh="登录已过期或已退出，请重新登录后再试。",
        )
    session.info["actor"] = user.username
    session.info["actor_id"] = user.id
    return user


def parse_query(model: type[BaseModel]) -> BaseModel:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc, "query") from exc


def _parse_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise UnsupportedMediaType(
            "Send the body as JSON with 'Content-Type: application/json'.",
            detail_zh=_PAGE_FAULT_ZH,
        )
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}", detail_zh=_PAGE_FAULT_ZH) from exc
    except RecursionError as exc:
        raise BadRequest("The body is nested too deeply.", detail_zh=_PAGE_FAULT_ZH) from exc
    try:
        return validate_json_data(model, data)
    except ValidationError as exc:
        raise validation_problem(exc, "body") from exc


def _serialize(result: Any, op: Operation):
    if not op.answers_json:
        body, headers = result
        headers = dict(headers)
        media_type = headers.pop("Content-Type", op.media_types[0])
        if media_type not in op.media_types:  # the document must say what is served
            raise RuntimeError(f"{op.endpoint} answered {media_type}, not one of {op.media_types}")
        return current_app.response_class(body, mimetype=media_type, headers=headers)
    if op.status == 204 or result is None:
        return "", 204
    if isinstance(result, BaseModel):
        payload = result.model_dump(mode="json")
    else:
        payload = op.response.model_validate(result).model_dump(mode="json")  # type: ignore[union-attr]
    return current_app.response_class(
        json.dumps(payload, ensure_ascii=False), status=op.status, mimetype="application/json"
    )


_PATH_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def endpoint(
    blueprint: Blueprint,
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    roles: Iterable[str] | None = None,
    public: bool = False,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    status: int = 200,
    errors: Iterable[int] = (),
    media_type: str | tuple[str, ...] = JSON,
) -> Callable:
    """Register a JSON endpoint on ``blueprint``.

    The view is called with the path parameters and, where declared, ``body=`` and ``query=``
    (validated models) and ``user=`` (the authenticated user). It returns a response model
    instance (or something the response model validates), or None for 204; with another
    ``media_type`` (a CSV, a PNG) it returns ``(body, headers)``; with several media types it
    names the one it serves in ``headers["Content-Type"]``.
    """

    def decorate(view: Callable) -> Callable:
        path_params = {name: conv for conv, name in _PATH_PARAM.findall(rule)}
        if any(conv not in ("id", "code") for conv in path_params.values()):
            raise ValueError(f"{rule}: path parameters must be <id:…> or <code:…>")
        op = Operation(
            rule=(blueprint.url_prefix or "") + rule,
            method=method.upper(),
            endpoint=f"{blueprint.name}.{view.__name__}",
            summary=summary,
            tag=tag,
            roles=frozenset(roles) if roles is not None else None,
            public=public,
            body=body,
            query=query,
            response=response,
            status=status,
            errors=tuple(errors),
            path_params=path_params,
            media_types=(media_type,) if isinstance(media_type, str) else tuple(media_type),
        )
        REGISTRY.operations.append(op)

        @functools.wraps(view)
        def wrapper(**path_args: Any):
            session = request_session()
            kwargs = dict(path_args)
            if not public:
                user = authenticate_request(session)
                g.user = user
                if op.roles is not None and user.role.value not in op.roles:
                    raise Forbidden(
                        f"The role {user.role.value} may not call {op.method} {op.rule}.",
                        detail_zh=role_refusal_zh(user.role, op.method, op.rule),
                    )
                kwargs["user"] = user
            if query is not None:
                kwargs["query"] = parse_query(query)
            if body is not None:
                kwargs["body"] = _parse_body(body)
            result = view(**kwargs)
            out = _serialize(result, op)
            session.commit()
            return out

        blueprint.add_url_rule(rule, view.__name__, wrapper, methods=[op.method])
        return wrapper

    return decorate
