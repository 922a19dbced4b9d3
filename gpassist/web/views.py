"""Login, logout, language switch and the start page of each role."""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from gpassist.auth import service as auth_service
from gpassist.auth.credentials import SESSION_TOKEN_KEY, session_token
from gpassist.auth.events import end_user_sockets
from gpassist.auth.ratelimit import count_login_attempt
from gpassist.auth.tables import Role, User
from gpassist.db import utcnow
from gpassist.web.extensions import LANGUAGE_COOKIE, LANGUAGES, csrf

# The app keeps /static for itself; the pages' files are served under /assets.
# Each role's start page; roles without pages yet see the greeting.
START_PAGE = {
    Role.village_doctor: "web.today",
    Role.specialist: "web.consult_desk",
    Role.pharmacist: "web.pharmacy_board",
    Role.admin: "web.reports",
}

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)


@bp.before_request
def _protect_forms():
    if request.method != "POST":
        return None
    try:
        csrf.protect()  # Flask-WTF logs the reason
    except CSRFError:
        if request.endpoint != "web.login":
            raise
        # A tab left open on an expired session can replace the session cookie (and with it
        # the CSRF token) while the next user logs in: give them the login page again, with a
        # token that matches the session they now hold, not a JSON problem.
        username = (request.form.get("username") or "").strip()
        message = _("页面已过期，请重新登录。")
        return _login_refused(message, username, request.form.get("next"), 400)
    return None


def _database():
    return current_app.extensions["gpassist.db"]


def logged_in_user(db_session) -> User | None:
    token = session_token()
    if token is None:
        return None
    return auth_service.user_for_token(db_session, token)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: an attacker's link must not bounce a fresh login elsewhere.
    if not target:
        return url_for("web.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("web.home")
    return target


@bp.get("/")
def index():
    return redirect(url_for("web.home"))


@bp.get("/login")
def login_form():
    return render_template("login.html", error=None, username="", next=request.args.get("next"))


@bp.post("/login")
def login():
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""
    target = request.form.get("next")
    verdict = count_login_attempt(request.remote_addr or "-")
    if not verdict.allowed:
        wait = verdict.retry_after_seconds
        message = _("登录尝试过于频繁，请 %(seconds)d 秒后再试。", seconds=wait)
        page, status = _login_refused(message, username, target, 429)
        return page, status, {"Retry-After": str(wait)}
    if not username or not password:
        return _login_refused(_("请输入用户名和密码。"), username, target, 400)
    config = current_app.config
    with _database().transaction(actor=username) as db_session:
        outcome = auth_service.login(
            db_session,
            username,
            password,
            ttl=dt.timedelta(hours=config["TOKEN_TTL_HOURS"]),
            policy=auth_service.ThrottlePolicy(
                config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"]
            ),
        )
    if outcome.issued is None:
        if outcome.locked_until is not None:
            minutes = max(1, math.ceil((outcome.locked_until - utcnow()).total_seconds() / 60))
            message = _(
                "登录失败次数过多，请 %(minutes)d 分钟后再试，或请管理员解锁。", minutes=minutes
            )
            return _login_refused(message, username, target, 429)
        return _login_refused(_("用户名或密码错误。"), username, target, 401)
    session.clear()  # a fresh session on login: no fixation of a pre-login session
    session[SESSION_TOKEN_KEY] = outcome.issued.token
    session.permanent = True
    current_app.permanent_session_lifetime = dt.timedelta(hours=config["TOKEN_TTL_HOURS"])
    return redirect(_safe_next(target))


def _login_refused(message: str, username: str, target: str | None, status: int):
    page = render_template("login.html", error=message, username=username, next=target)
    return page, status


@bp.post("/logout")
def logout():
    token = session_token()
    if token is not None:
        with _database().transaction(actor="logout") as db_session:
            user_id = auth_service.revoke_token(db_session, token)
        if user_id is not None:
            end_user_sockets(user_id)
    session.clear()
    return redirect(url_for("web.login_form"))


@bp.get("/lang/<code>")
def switch_language(code: str):
    response = redirect(_safe_next(request.args.get("next")))
    if code in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
    return response


@bp.get("/app")
def home():
    with _database().read_sessionmaker() as db_session:
        user = logged_in_user(db_session)
        if user is None:
            session.pop(SESSION_TOKEN_KEY, None)
            return redirect(url_for("web.login_form", next=request.path))
        start = START_PAGE.get(user.role)
        if start is not None:
            return redirect(url_for(start))
        return render_template("home.html", user=user)
