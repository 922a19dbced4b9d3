"""Every error becomes an RFC 9457 problem document (``application/problem+json``).

Services raise ``Problem`` subclasses; the handlers registered here turn them, request-validation
errors, unknown routes and unexpected exceptions into JSON with a stable ``type``. A 500 rolls the
request's session back and is logged with the request id; its body says nothing of the cause.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, g, jsonify, request
from flask_wtf.csrf import CSRFError
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from gpassist.messages_zh import chinese_message

log = logging.getLogger("gpassist.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error a client can act on. ``slug`` names it stably: ``/problems/<slug>``."""

    status = 400
    slug = "bad-request"
    title = "Bad request"
    title_zh = "请求有误"

    def __init__(
        self,
        detail: str | None = None,
        *,
        detail_zh: str | None = None,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.detail_zh = detail_zh  # the pages show this, not the English detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": f"/problems/{self.slug}",
            "title": self.title,
            "title_zh": self.title_zh,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if self.detail_zh:
            body["detail_zh"] = self.detail_zh
        if self.errors is not None:
            body["errors"] = self.errors
        body.update(self.extra)
        return body


class BadRequest(Problem):
    pass


class UnsupportedMediaType(Problem):
    status = 415
    slug = "unsupported-media-type"
    title = "The body must be JSON"
    title_zh = "请求内容必须是 JSON"


class InvalidField(Problem):
    """Input that is well-formed but breaks a rule; ``errors`` carries the field paths."""

    status = 422
    slug = "validation"
    title = "The request has invalid fields"
    title_zh = "填写的内容有误"

    @classmethod
    def at(
        cls, field: str, message: str, code: str = "invalid", *, zh: str | None = None
    ) -> InvalidField:
        """One field's refusal; ``zh`` is what the pages show (``message_zh``)."""
        error = {"field": field, "message": message, "code": code}  # zh: added just below
        if zh:
            error["message_zh"] = zh
        return cls(message, detail_zh=zh, errors=[error])


class Unauthorized(Problem):
    status = 401
    slug = "unauthorized"
    title = "Authentication required"
    title_zh = "请先登录（登录已过期或无效）"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="gpassist"'})
        super().__init__(detail, **kw)


class Forbidden(Problem):
    status = 403
    slug = "forbidden"
    title = "Your role may not do this"
    title_zh = "您的角色不能进行此操作"


class CsrfRefused(Forbidden):
    """A write from the pages without the page's CSRF token: the role is not the reason."""

    slug = "csrf"
    title = "The page's security token (CSRF) is missing or expired; reload the page, try again"
    title_zh = "页面安全令牌缺失或已过期，请刷新页面后重试"


class NotFound(Problem):
    status = 404
    slug = "not-found"
    title = "Not found"
    title_zh = "没有找到，或您无权查看"


class Conflict(Problem):
    status = 409
    slug = "conflict"
    title = "Conflicts with the current state"
    title_zh = "与当前状态冲突，请刷新后重试"


class TooManyRequests(Problem):
    status = 429
    slug = "too-many-requests"
    title = "Too many attempts"
    title_zh = "尝试次数过多，请稍后再试"


def validation_problem(exc: ValidationError, prefix: str) -> InvalidField:
    """Turn a pydantic error into problem details with dotted field paths (``body.vitals.sbp``)."""
    errors = []
    for err in exc.errors(include_url=False, include_input=False):
        path = ".".join([prefix, *(str(p) for p in err["loc"])])
        message_zh = chinese_message(path, err["type"], err.get("ctx"), err["msg"])
        errors.append(
            {"field": path, "message": err["msg"], "message_zh": message_zh, "code": err["type"]}
        )
    # zh: each error's message_zh says what to fix; a detail would only repeat the title
    return InvalidField("Some fields are invalid; see errors.", errors=errors)


def problem_response(problem: Problem):
    response = jsonify(problem.to_dict())
    response.status_code = problem.status
    response.mimetype = PROBLEM_MEDIA_TYPE
    response.headers.update(problem.headers)
    return response


_HTTP_SLUGS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


_HTTP_TITLES_ZH = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "没有找到",
    405: "不支持的操作",
    413: "内容太大",
    415: "不支持的内容类型",
    429: "请求过于频繁，请稍后再试",
}


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(Problem)
    def _problem(exc: Problem):
        _rollback()
        return problem_response(exc)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):
        # A form posted without its token (Flask-WTF answers 400): same type and title as the
        # API's refusal (403), so neither reads as a missing permission or a malformed request.
        _rollback()
        problem = CsrfRefused(exc.description)  # zh: title_zh says what to do
        problem.status = 400
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        _rollback()
        status = exc.code or 500
        problem = Problem(exc.description)  # zh: the status's title_zh (_HTTP_TITLES_ZH)
        problem.status = status
        problem.slug = _HTTP_SLUGS.get(status, "http-error")
        problem.title = exc.name
        problem.title_zh = _HTTP_TITLES_ZH.get(status, "请求未能完成")
        response = problem_response(problem)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(IntegrityError)
    def _integrity(exc: IntegrityError):
        # A uniqueness race that the service's own check could not see (two requests at once).
        # The message holds SQL parameters, i.e. patient data: log only the constraint's kind.
        _rollback()
        log.warning(
            "integrity conflict on %s %s [request %s]: %s",
            request.method,
            request.path,
            getattr(g, "request_id", "-"),
            type(exc.orig).__name__,
        )
        return problem_response(
            Conflict(
                "Another change saved at the same moment conflicts with this one; reload and "
                "retry.",
                detail_zh="有人同时保存了与此冲突的修改，这次没有保存。请刷新后重试。",
            )
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        _rollback()
        request_id = getattr(g, "request_id", "-")
        log.exception(
            "unhandled error on %s %s [request %s]", request.method, request.path, request_id
        )
        problem = Problem(
            "An internal error occurred; quote the request id to support.",
            detail_zh="这次操作没有完成。请稍后重试；仍不行请联系管理员，并告知下面的请求编号。",
        )
        problem.status, problem.slug, problem.title = 500, "internal", "Internal error"
        problem.title_zh = "系统内部错误，请联系管理员并提供请求编号"
        problem.extra = {"request_id": request_id}
        return problem_response(problem)


def _rollback() -> None:
    session = g.pop("db_session", None) if g else None
    if session is not None:
        session.rollback()
        session.close()
