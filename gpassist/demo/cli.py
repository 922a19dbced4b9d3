"""``gpassist seed-demo``: demo users and synthetic patients for the demo county."""

from __future__ import annotations

import click

from gpassist.cli_support import actor, database


@click.command("seed-demo")
@click.option("--patients", default=400, show_default=True, help="synthetic patients to create")
@click.option("--seed", default=20261128, show_default=True)
def seed_demo(patients: int, seed: int) -> None:
    """Create demo users for every role and synthetic patients (demo county only; idempotent)."""
    from gpassist.demo.common import DEMO_PASSWORD, NotADemoCounty
    from gpassist.demo.seed import seed_demo as seed_all

    db = database()
    try:
        with db.transaction(actor=actor()) as session:
            result = seed_all(session, patients=patients, seed=seed)
    except NotADemoCounty as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(f"demo data: {result.summary()}")
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, what in result.logins:
        click.echo(f"  {username:24} {what}")
