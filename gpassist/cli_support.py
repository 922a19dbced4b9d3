"""What every capability's commands share: the database named by the settings, the actor the
audit log records for a command, and pydantic errors told in one line."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError

    from gpassist.db import Database


def database() -> Database:
    """The database of ``GPASSIST_DATABASE_URL`` (the caller disposes of it)."""
    # Imported here so that ``gpassist --help`` does not load SQLAlchemy.
    from gpassist.config import load_settings
    from gpassist.db import Database

    return Database(load_settings()["DATABASE_URL"])


def actor() -> str:
    """Who the audit log names for a command: ``cli:<login>``, or ``cli`` without a login."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def problems(exc: ValidationError) -> str:
    """The first five errors of ``exc`` as ``field.path: message`` joined by ``; ``."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
        for err in exc.errors(include_url=False)[:5]
    )
