"""The pages' Flask extensions (Babel, CSRF) and language choice, created once here and bound to
the app by ``init_web``; views import them from here, so the package's ``__init__`` and its
modules never import each other."""

from __future__ import annotations

from flask import request, session
from flask_babel import Babel, get_locale
from flask_wtf.csrf import CSRFProtect

LANGUAGES = ("zh", "en")
LANGUAGE_COOKIE = "gpassist_lang"

babel = Babel()
csrf = CSRFProtect()


def select_locale() -> str:
    """The language of this request: the cookie, then the session, then Chinese."""
    chosen = request.cookies.get(LANGUAGE_COOKIE) or session.get("lang")
    return chosen if chosen in LANGUAGES else "zh"


def page_locale() -> str:
    """The language of this request's page ("zh" or "en")."""
    return str(get_locale() or "zh")
