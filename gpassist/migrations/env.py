"""Alembic environment: the URL comes from the caller (``gpassist db upgrade``) or GPASSIST_*."""

from __future__ import annotations

from alembic import context

from gpassist.all_tables import metadata
from gpassist.config import load_settings
from gpassist.db import make_engine

config = context.config


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings()["DATABASE_URL"]


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
