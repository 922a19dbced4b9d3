"""Alembic, driven from code: ``gpassist db upgrade`` and the readiness check use this."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

# Shipped inside the package (data files, not a Python package), so an installed wheel migrates.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration for ``database_url``, built in code (there is no alembic.ini)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply the migrations up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


@functools.cache
def head_revision() -> str | None:
    """The code's newest migration (read once: /readyz asks on every probe)."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def revisions(connection: Connection) -> tuple[str | None, str | None]:
    """(the database's revision, the code's head revision)."""
    current = MigrationContext.configure(connection).get_current_revision()
    return current, head_revision()
