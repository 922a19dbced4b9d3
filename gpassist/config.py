"""Settings: defaults, then ``GPASSIST_*`` environment variables, then what the caller passes.

Every setting the service reads is listed in ``SETTINGS`` and documented in docs/configuration.md;
nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[str], Any]
    help: str


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {raw!r}")


def _optional(raw: str) -> str | None:
    return raw or None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        _optional,
        "SQLAlchemy URL; default sqlite:///<instance>/gpassist.db. PostgreSQL: "
        "postgresql+psycopg://user@host:5432/dbname",
    ),
    Setting("INSTANCE_PATH", None, _optional, "folder for the SQLite file and the secret key"),
    Setting(
        "SECRET_KEY",
        None,
        _optional,
        "signs web session cookies; default: a random key kept in <instance>/secret_key",
    ),
    Setting(
        "SECURE_COOKIES",
        False,
        _bool,
        "mark the pages' session cookie Secure (sent over HTTPS only); set it when serving HTTPS",
    ),
    Setting("TOKEN_TTL_HOURS", 12.0, float, "lifetime of an API bearer token, hours"),
    Setting("LOGIN_MAX_FAILURES", 5, int, "failed logins before an account is throttled"),
    Setting("LOGIN_LOCK_MINUTES", 15.0, float, "how long a throttled account waits"),
    Setting(
        "LOGIN_RATE_LIMIT",
        60,
        int,
        "login attempts (API token and login page together) allowed per client IP per window",
    ),
    Setting("LOGIN_RATE_WINDOW_SECONDS", 60, int, "the window of LOGIN_RATE_LIMIT, seconds"),
    Setting(
        "RATE_LIMIT_STORAGE",
        None,
        _optional,
        "where login attempts are counted: memory:// or redis://…; default SOCKETIO_QUEUE if "
        "set (shared by the server processes), else memory",
    ),
    Setting(
        "TRUSTED_PROXIES",
        0,
        int,
        "reverse proxies (nginx) in front that set X-Forwarded-For/-Proto; 0 trusts none",
    ),
    Setting(
        "SOCKETIO_ASYNC_MODE",
        "threading",
        str,
        "Flask-SocketIO async mode: threading (dev server, tests) or gevent (gunicorn)",
    ),
    Setting(
        "SOCKETIO_QUEUE",
        None,
        _optional,
        "redis://… message queue shared by several server processes; unset for one process",
    ),
    Setting("LOG_LEVEL", "INFO", str, "logging level of the gpassist logger"),
    Setting(
        "DIAGNOSIS_MODELS",
        None,
        _optional,
        "folder holding the diagnosis model folders; default <repo>/models/diagnosis",
    ),
    Setting(
        "CONSULT_ICE_SERVERS",
        "[]",
        str,
        "JSON list of WebRTC ICE servers handed to consultation clients "
        '(e.g. [{"urls": ["turn:turn.example.cn:3478"], "username": "u", "credential": "p"}])',
    ),
    Setting(
        "CONSULT_DEPARTMENT_AFTER_SECONDS",
        300.0,
        float,
        "an unaccepted consultation is escalated to every specialist of its department after this",
    ),
    Setting(
        "CONSULT_ADMINS_AFTER_SECONDS",
        900.0,
        float,
        "an unaccepted consultation is escalated to the administrators after this",
    ),
    Setting(
        "CONSULT_EXPIRE_AFTER_SECONDS",
        3600.0,
        float,
        "an unaccepted consultation expires after this",
    ),
    Setting(
        "CONSULT_ATTACHMENT_MAX_BYTES",
        5 * 1024 * 1024,
        int,
        "largest image a consultation attachment may be, bytes",
    ),
    Setting(
        "CONSULT_SCHEDULER_INTERVAL_SECONDS",
        5.0,
        float,
        "how often a server process's consultation scheduler ticks; 0 runs none in this process",
    ),
    Setting(
        "CONSULT_SCHEDULER_LEASE_SECONDS",
        30.0,
        float,
        "how long the scheduler lease lasts without renewal before another process takes over",
    ),
    Setting(
        "PHARMACY_REORDER_DAYS",
        14.0,
        float,
        "a drug is on the pharmacy's reorder list when its stock lasts fewer days than this",
    ),
    Setting(
        "TCM_MODELS",
        None,
        _optional,
        "folder holding the TCM model folders; default <repo>/models/tcm",
    ),
)

_PARSERS = {s.name: s for s in SETTINGS}


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the settings as a dict: defaults < ``GPASSIST_*`` environment < ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    for setting in SETTINGS:
        raw = environ.get(f"GPASSIST_{setting.name}")
        if raw is not None:
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as exc:
                raise ValueError(f"GPASSIST_{setting.name}: {exc}") from exc
    for key, value in (overrides or {}).items():
        values[key] = value
    instance = Path(values["INSTANCE_PATH"] or Path.cwd() / "instance")
    values["INSTANCE_PATH"] = str(instance)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'gpassist.db'}"
    if values["SOCKETIO_ASYNC_MODE"] not in {"threading", "gevent"}:
        raise ValueError("GPASSIST_SOCKETIO_ASYNC_MODE must be threading or gevent")
    return values


def instance_secret_key(instance_path: str) -> str:
    """Read, or create once, a random secret key kept only in the instance folder."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first; use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
