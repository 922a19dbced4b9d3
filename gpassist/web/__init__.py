"""Server-rendered pages: login with a session cookie, CSRF on every form, Chinese with English.

The pages' JavaScript calls the same ``/api/v1`` endpoints as any client. It authenticates with
the session cookie instead of a bearer header (``gpassist.auth.credentials``), and every unsafe
method must carry the page's CSRF token in ``X-CSRFToken``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from flask import Flask

from gpassist.auth.tables import Role
from gpassist.consult.states import Urgency
from gpassist.labels import LabelledEnum
from gpassist.patients.tables import Sex
from gpassist.prescriptions.rules import Frequency
from gpassist.settlement.policy import VisitType
from gpassist.web.assets import init_assets
from gpassist.web.extensions import babel, csrf, page_locale, select_locale
from gpassist.web.offline import init_offline

# The enums the templates list as choices; each option shows the member's label.
ENUMS = SimpleNamespace(
    Role=Role,
    Sex=Sex,
    Urgency=Urgency,
    # The visit form offers the frequencies a village doctor writes; the API accepts them all.
    VISIT_FREQUENCIES=(
        Frequency.qd,
        Frequency.bid,
        Frequency.tid,
        Frequency.qid,
        Frequency.qn,
        Frequency.prn,
    ),
    # The visit's bill is settled as an ordinary or a chronic-disease outpatient visit.
    VISIT_BILL_TYPES=(VisitType.outpatient, VisitType.chronic_outpatient),
)


def label(member: LabelledEnum) -> str:
    """A labelled enum member in the page's language (``{{ user.role|label }}``)."""
    return member.label(page_locale())


def init_web(app: Flask) -> None:
    from gpassist.web import pages  # also adds the pages to the blueprint
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
    app.context_processor(lambda: {"locale": page_locale()})
    app.add_template_filter(label, "label")
    app.jinja_env.globals["enums"] = ENUMS
    app.jinja_env.globals["may_open"] = pages.may_open
    app.register_blueprint(bp)
    init_assets(app, bp)
    init_offline(app)
