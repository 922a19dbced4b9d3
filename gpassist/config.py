"""Settings: defaults, then ``GPASSIST_*`` environment variables, then what the caller passes.

Every setting the service reads is a field of ``Settings`` (type, default, description);
docs/configuration.md is rendered from those fields (``python -m gpassist.config``) and a test
keeps the two equal. Nothing else in the package reads the environment.

To add a setting, add a field: ``NAME: type = setting(default, "what it means")``. The app config
key is the field's name; the environment variable is ``GPASSIST_`` + the name.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

ENV_PREFIX = "GPASSIST_"
# The diagnosis and TCM models ship inside the package (~5 MB), so an installed wheel serves them.
PACKAGED_MODELS = Path(__file__).resolve().parent / "models"


def setting(default: Any, description: str, shown: str | None = None) -> Any:
    """A settings field; ``shown`` is the default as the docs print it, when not the value."""
    extra = {"shown_default": shown} if shown is not None else None
    return Field(default, description=description, json_schema_extra=extra)


class Settings(BaseSettings):
    """Every setting of the service; ``Settings()`` reads ``GPASSIST_*`` from the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=True,
        env_ignore_empty=True,  # an empty variable means "unset", as in a shell's VAR= line
        extra="forbid",
        validate_default=True,
    )

    DATABASE_URL: str | None = setting(
        None,
        "SQLAlchemy URL of the database. PostgreSQL: "
        "`postgresql+psycopg://user@host:5432/dbname` (psycopg 3).",
        "`sqlite:///<instance>/gpassist.db`",
    )
    INSTANCE_PATH: str | None = setting(
        None,
        "Folder for the SQLite file and the generated secret key. Not in git.",
        "`./instance`",
    )
    SECRET_KEY: str | None = setting(
        None,
        "Signs web session cookies. With several server processes, set the same value in each "
        "(or share the instance folder).",
        "random, kept in `<instance>/secret_key` (mode 600)",
    )
    SECURE_COOKIES: bool = setting(
        False,
        "Mark the pages' session cookie Secure (sent over HTTPS only); set it when serving HTTPS.",
    )
    TOKEN_TTL_HOURS: float = setting(12.0, "Lifetime of an API bearer token.")
    LOGIN_MAX_FAILURES: int = setting(
        5, "Failed logins for one username before it is throttled (429)."
    )
    LOGIN_LOCK_MINUTES: float = setting(
        15.0, "How long a throttled username waits (an admin can unlock it sooner)."
    )
    LOGIN_RATE_LIMIT: int = setting(
        60,
        "Login attempts (API token and login page together) allowed per client address per "
        "window; over it, 429 with Retry-After.",
    )
    LOGIN_RATE_WINDOW_SECONDS: int = setting(60, "The window of `LOGIN_RATE_LIMIT`, seconds.")
    RATE_LIMIT_STORAGE: str | None = setting(
        None,
        "Where login attempts are counted: `memory://` or `redis://…` (shared by the server "
        "processes).",
        "`SOCKETIO_QUEUE` if set, else memory",
    )
    TRUSTED_PROXIES: int = setting(
        0,
        "Reverse proxies (nginx) in front that set X-Forwarded-For/-Proto; 0 trusts none.",
    )
    SOCKETIO_ASYNC_MODE: Literal["threading", "gevent"] = setting(
        "threading",
        "Flask-SocketIO async mode, set explicitly, never detected: `threading` for the dev "
        "server and tests, `gevent` under `gunicorn -k gevent`.",
        "`threading` (`gevent` in `wsgi.py`)",
    )
    SOCKETIO_QUEUE: str | None = setting(
        None,
        "`redis://host:6379/0`: the Socket.IO message queue, needed when more than one server "
        "process runs.",
        "unset",
    )
    SOCKETIO_CHANNEL: str = setting(
        "flask-socketio",
        "Redis pub/sub channel of the Socket.IO message queue: the same in every process of one "
        "deployment, another for another deployment (or test run) sharing that Redis.",
    )
    DIAGNOSIS_MODELS: str | None = setting(
        None,
        "Folder holding one sub-folder per diagnosis model (knowledge base + `model.onnx`, "
        "`metadata.json`, `metrics.json`); every sub-folder with a `model.onnx` is loaded. "
        "The default is the models shipped inside the package.",
        "`gpassist/models/diagnosis` (in the package)",
    )
    TCM_MODELS: str | None = setting(
        None,
        "Folder holding one sub-folder per TCM model (`disease.onnx`, `syndrome.onnx`, "
        "`metadata.json`, `metrics.json`); every sub-folder with a `disease.onnx` is loaded. "
        "The default is the models shipped inside the package. See [tcm.md](tcm.md).",
        "`gpassist/models/tcm` (in the package)",
    )
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = setting(
        "INFO",
        "Level of the `gpassist` loggers. Logs carry request ids, never passwords, tokens or "
        "patient details.",
    )
    CONSULT_ICE_SERVERS: str = setting(
        "[]",
        "JSON list of WebRTC ICE servers handed to consultation clients "
        "(`GET /api/v1/consultations/ice-servers`), e.g. "
        '`[{"urls": ["stun:turn.county.example:3478", '
        '"turn:turn.county.example:3478?transport=udp"], "username": "gpassist", '
        '"credential": "…"}]`. Empty: peers on one network connect directly. '
        "See [consult.md](consult.md) for coturn.",
    )
    CONSULT_DEPARTMENT_AFTER_SECONDS: float = setting(
        300.0,
        "A consultation nobody has accepted is escalated to every specialist of its department "
        "(not only the available ones) after this many seconds.",
    )
    CONSULT_ADMINS_AFTER_SECONDS: float = setting(
        900.0, "… and to the administrators after this many seconds."
    )
    CONSULT_EXPIRE_AFTER_SECONDS: float = setting(
        3600.0,
        "… and expires after this many seconds (the village doctor is told). Must be ≥ the "
        "admins time, which must be ≥ the department time.",
    )
    CONSULT_ATTACHMENT_MAX_BYTES: int = setting(
        5 * 1024 * 1024, "Largest image (ECG photo, …) a consultation attachment may be."
    )
    CONSULT_SCHEDULER_INTERVAL_SECONDS: float = setting(
        5.0,
        "How often a server process's consultation scheduler (escalation, expiry) ticks, and how "
        "often the process closes `/consult` sockets whose token was revoked or expired. Every "
        "process runs one, started with its first `/consult` connection; only the holder of the "
        "database lease does the scheduled work. `0`: neither in this process (run "
        "`gpassist consult scheduler` instead; revoked sockets are then refused at their next "
        "event only).",
    )
    CONSULT_SCHEDULER_LEASE_SECONDS: float = setting(
        30.0,
        "How long the scheduler lease lasts without renewal; when its holder dies, another "
        "process takes over after at most this long.",
    )
    PHARMACY_REORDER_DAYS: float = setting(
        14.0,
        "A drug is on the reorder list (`GET /api/v1/pharmacy/replenishment`) when its available "
        "stock lasts fewer days than this at the last 30 days' average daily use. "
        "See [pharmacy.md](pharmacy.md).",
    )

    @field_validator("LOG_LEVEL", mode="before")
    @classmethod
    def _level_in_capitals(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class SettingsError(ValueError):
    """A setting with a value it cannot take; the message names the variable, never the value."""


class _GivenEnvironment(EnvSettingsSource):
    """pydantic-settings' environment source reading a given mapping instead of ``os.environ``."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._given = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._given, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the settings as a dict: defaults < ``GPASSIST_*`` environment < ``overrides``.

    Keys of ``overrides`` that are not settings (``TESTING``, Flask's own keys) pass through
    unchecked; settings are validated wherever they come from. Raises ``SettingsError``.
    """
    from_env = _GivenEnvironment(os.environ if environ is None else environ)()
    overrides = dict(overrides or {})
    known = {k: v for k, v in overrides.items() if k in Settings.model_fields}
    try:
        settings = Settings.model_validate({**from_env, **known})
    except ValidationError as exc:
        raise SettingsError(_explain(exc, known)) from None
    values: dict[str, Any] = {**overrides, **settings.model_dump()}
    instance = Path(values["INSTANCE_PATH"] or Path.cwd() / "instance")
    values["INSTANCE_PATH"] = str(instance)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'gpassist.db'}"
    return values


def set_in_environment(name: str, environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``GPASSIST_<name>`` is set (an empty variable counts as unset)."""
    return bool((os.environ if environ is None else environ).get(f"{ENV_PREFIX}{name}"))


def _explain(exc: ValidationError, known: Mapping[str, Any]) -> str:
    # The value is left out on purpose: it may be a password inside a URL or a secret key.
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        name = str(error["loc"][0]) if error["loc"] else "(settings)"
        where = f"config[{name!r}]" if name in known else f"{ENV_PREFIX}{name}"
        problems.append(f"{where}: {error['msg']}")
    return "invalid settings: " + "; ".join(problems)


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


# -- docs/configuration.md -------------------------------------------------------------------

_DOC_HEAD = """\
# Configuration

<!-- Generated from gpassist/config.py by `python -m gpassist.config > docs/configuration.md`;
     tests/test_config.py fails when this file and the code differ. Edit the fields, not this. -->

gpassist reads its settings in one place, `gpassist/config.py` (a pydantic-settings class): built-in
defaults, then environment variables named `GPASSIST_*`, then (for tests) what `create_app(config)`
is given. Nothing else reads the environment. An empty variable counts as unset. A value of the
wrong type or outside the allowed choices stops the service at start with an error naming the
variable (never its value).

| variable | type | default | meaning |
| --- | --- | --- | --- |
"""

_DOC_TAIL = """
Where the service finds the rest of what it reads:

- **County data** (facilities, catalogues, formularies, drug interactions, the payer policy): not
  a setting. `gpassist load-clinics FOLDER` validates the folder and stores it in the database, so
  a running service needs neither the folder nor a source tree. See [settlement.md](settlement.md)
  for the policy files.
- **Models**: `GPASSIST_DIAGNOSIS_MODELS` and `GPASSIST_TCM_MODELS` above; by default the models
  shipped inside the package.
- **Clinical rule sets** (follow-up programs in `gpassist/followup/programs/`, triage red flags in
  `gpassist/diagnosis/triage_rules.yaml`): package data, found next to the code in a checkout and
  in an installed wheel alike. They are not settings on purpose: the API's program codes and the
  triage vocabulary checks are built from them, so changing them is a release, not a deployment
  choice.

Variables used only by the test suite (see `tests/conftest.py`):

| variable | meaning |
| --- | --- |
"""

# Read by tests/conftest.py, not by the service; listed so the page names every GPASSIST_ variable.
_TEST_ONLY = (
    (
        "TEST_POSTGRES_URL",
        "Run every database test on PostgreSQL too, e.g. "
        "`postgresql+psycopg://postgres@127.0.0.1:5432/test`. Each test gets its own database, "
        "copied from a prepared template (the user needs CREATEDB).",
    ),
    (
        "TEST_REDIS_URL",
        "Run the Redis tests (Socket.IO across processes), e.g. `redis://127.0.0.1:6379/0`.",
    ),
    (
        "REQUIRE_SERVICES",
        "`1`: a missing PostgreSQL or Redis fails the run instead of skipping (CI sets it).",
    ),
    ("HYPOTHESIS_EXAMPLES", "Examples per property test (default 60)."),
    ("FUZZ_EXAMPLES", "Examples per endpoint and mode in the schemathesis test (default 30)."),
)


def _type_name(annotation: Any) -> str:
    args = getattr(annotation, "__args__", ())
    if getattr(annotation, "__origin__", None) is Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    names = [a.__name__ for a in args if a is not type(None)] if args else [annotation.__name__]
    return " ".join(names)


def _default_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"`{value}`"


def configuration_markdown() -> str:
    """docs/configuration.md as rendered from the ``Settings`` fields."""
    rows = []
    for name, field in Settings.model_fields.items():
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        shown = extra.get("shown_default") or _default_text(field.default)
        rows.append(
            f"| `{ENV_PREFIX}{name}` | {_type_name(field.annotation)} | {shown} "
            f"| {field.description} |\n"
        )
    test_rows = [f"| `{ENV_PREFIX}{name}` | {meaning} |\n" for name, meaning in _TEST_ONLY]
    return _DOC_HEAD + "".join(rows) + _DOC_TAIL + "".join(test_rows)


if __name__ == "__main__":
    print(configuration_markdown(), end="")
