"""Server-rendered pages: login with a session cookie, CSRF on every form, Chinese with English.

The pages' JavaScript calls the same ``/api/v1`` endpoints as any client. It authenticates with
the session cookie instead of a bearer header (``gpassist.auth.credentials``), and every unsafe
method must carry the page's CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

LANGUAGES = ("zh", "en")
LANGUAGE_COOKIE = "gpassist_lang"

babel = Babel()
csrf = CSRFProtect()


def select_locale() -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE) or session.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


def init_web(app: Flask) -> None:
    from gpassist.web import pages  # noqa: F401  (adds the pages to the blueprint)
    from gpassist.web.views import bp

    # The API authenticates by bearer token and is not a form target; only the pages and the
    # session-authenticated API calls check CSRF, explicitly (views.py, auth/credentials.py).
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(Path(__file__).with_name("translations"))
    )
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # bound to the session, which expires
    # Assigned, not setdefault: Flask's defaults already hold these keys (SameSite unset).
    # Lax keeps the cookie off cross-site POSTs and subresources; HttpOnly hides it from scripts;
    # Secure (GPASSIST_SECURE_COOKIES) when the site is served over HTTPS.
    app.config["SESSION_COOKIE_NAME"] = "gpassist_session"
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SECURE"] = bool(app.config["SECURE_COOKIES"])
    babel.init_app(
        app, locale_selector=select_locale, default_locale="zh", default_timezone="Asia/Shanghai"
    )
    csrf.init_app(app)
    app.context_processor(lambda: {"locale": str(get_locale() or "zh")})
    app.register_blueprint(bp)
