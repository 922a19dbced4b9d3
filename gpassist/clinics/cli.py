"""``gpassist load-clinics FOLDER``: load or update the county registry."""

from __future__ import annotations

from pathlib import Path

import click

from gpassist.cli_support import actor, database


@click.command("load-clinics")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def load_clinics(folder: Path) -> None:
    """Load or update the county registry from FOLDER (county, drugs, services, formularies)."""
    from gpassist.clinics.loader import RegistryFileError, apply_registry, read_registry

    try:
        files = read_registry(folder)
    except RegistryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    db = database()
    try:
        with db.transaction(actor=actor()) as session:
            report = apply_registry(session, files)
    finally:
        db.dispose()
    click.echo(f"loaded {folder}: {report.summary()}")
