"""Server-rendered pages: login with a session cookie, CSRF on every form, Chinese with English.

The pages' JavaScript calls the same ``/api/v1`` endpoints as any client. It authenticates with
the session cookie instead of a bearer header (``gpassist.auth.credentials``), and every unsafe
method must carry the page's CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask_babel import get_locale

from gpassist.web.extensions import babel, csrf, select_locale


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
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("SESSION_COOKIE_NAME", "gpassist_session")
    babel.init_app(
        app, locale_selector=select_locale, default_locale="zh", default_timezone="Asia/Shanghai"
    )
    csrf.init_app(app)
    app.context_processor(lambda: {"locale": str(get_locale() or "zh")})
    app.register_blueprint(bp)
