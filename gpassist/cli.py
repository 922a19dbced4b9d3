"""The ``gpassist`` command: the root group, the cross-cutting commands (``db``, ``serve``) and
each capability's commands, which live in that capability's ``cli.py``.

Commands import what they need when they run, so ``gpassist --help`` stays quick.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from gpassist.auth.cli import create_user
from gpassist.clinics.cli import load_clinics
from gpassist.config import SettingsError, load_settings
from gpassist.consult.cli import consult
from gpassist.demo.cli import seed_demo
from gpassist.diagnosis.cli import diagnosis
from gpassist.followup.cli import followup
from gpassist.settlement.cli import settlement
from gpassist.tcm.cli import tcm


@click.group()
def main() -> None:
    """gpassist: the GP assistant service for village clinics."""
    # A no-op when logging is already configured (under pytest, or an embedding program).
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:  # a bad GPASSIST_* value is one line naming the variable, not a traceback
        load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (creates the SQLite file if needed)."""
    from gpassist import migrate

    url = load_settings()["DATABASE_URL"]
    _prepare_sqlite_folder(url)
    migrate.upgrade(url, revision)
    click.echo(
        f"database at revision {migrate.head_revision() if revision == 'head' else revision}"
    )


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the difference between tables and database (developers)."""
    from alembic import command

    from gpassist import migrate

    url = load_settings()["DATABASE_URL"]
    command.revision(migrate.alembic_config(url), message=message, autogenerate=True)


def _prepare_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
def serve(host: str, port: int) -> None:
    """Run the development server (production: gunicorn -w 1 -k gevent wsgi:app)."""
    from gpassist import create_app
    from gpassist.extensions import socketio

    app = create_app()
    click.echo(f"gpassist on http://{host}:{port} (development server)")
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False)


for _command in (
    load_clinics,
    create_user,
    seed_demo,
    followup,
    settlement,
    consult,
    diagnosis,
    tcm,
):
    main.add_command(_command)

if __name__ == "__main__":
    main()
