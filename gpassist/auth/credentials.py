"""Where a request's credentials come from: the bearer header, or the logged-in page session.

A page's session cookie holds the same kind of bearer token the API issues (signed into the
cookie, never shown to the page's JavaScript). Calls from the pages therefore hit the same
checks: expiry, revocation, roles. Cookies are sent by the browser on cross-site requests too, so
an unsafe method also needs the page's CSRF token in the ``X-CSRFToken`` header.
"""

from __future__ import annotations

from flask import request, session
from flask_wtf.csrf import validate_csrf
from wtforms.validators import ValidationError

from gpassist.errors import CsrfRefused

SESSION_TOKEN_KEY = "api_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def session_token() -> str | None:
    """The token the page's signed session cookie holds, if someone is logged in."""
    token = session.get(SESSION_TOKEN_KEY)
    return token if isinstance(token, str) and token else None


def session_token_for_request() -> str | None:
    """The web session's token for an API call, after the CSRF check for unsafe methods."""
    token = session_token()
    if token is None:
        return None
    if request.method not in SAFE_METHODS:
        try:
            validate_csrf(request.headers.get("X-CSRFToken", ""))
        except ValidationError as exc:
            raise CsrfRefused(  # zh: the type's title_zh says what to do (reload the page)
                "A call from the pages must carry the page's CSRF token in X-CSRFToken."
            ) from exc
    return token


def handshake_token(auth: object) -> str | None:
    """The token of a Socket.IO handshake: ``auth={"token": ...}``, or the page's session.

    The session is accepted only from this site's own pages (same Origin): browsers send cookies
    with cross-site websocket handshakes too, and Socket.IO does not check the Origin here.
    """
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        return auth["token"]
    token = session_token()
    if token is None or not _same_origin():
        return None
    return token


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    return origin is not None and origin.rstrip("/") == request.host_url.rstrip("/")
