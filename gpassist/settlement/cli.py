"""``gpassist settlement simulate|import|reconcile``: instant settlement from the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from gpassist.cli_support import actor, database, problems


@click.group("settlement")
def settlement() -> None:
    """Instant settlement."""


@settlement.command("simulate")
@click.option(
    "--policy", "policy_files", required=True, multiple=True, type=click.Path(exists=True)
)
@click.option("--cases", "cases_file", required=True, type=click.File("r", encoding="utf-8"))
def settlement_simulate(policy_files, cases_file) -> None:
    """Settle a JSON file of bills from empty accumulators (no database)."""
    import json

    import yaml
    from pydantic import ValidationError

    from gpassist.settlement.policy import load_policy
    from gpassist.settlement.simulate import Cases, run_cases

    try:
        policies = [load_policy(Path(p)) for p in policy_files]
    except ValidationError as exc:
        raise click.ClickException(f"policy: {problems(exc)}") from exc
    except yaml.YAMLError as exc:
        raise click.ClickException(f"policy: not valid YAML: {exc}") from exc
    try:
        cases = Cases.model_validate_json(cases_file.read())
    except ValidationError as exc:
        raise click.ClickException(f"{cases_file.name}: {problems(exc)}") from exc
    click.echo(json.dumps(run_cases(policies, cases), ensure_ascii=False, indent=2))


@settlement.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def settlement_import(csv_file: Path) -> None:
    """Record bills settled at hospitals from CSV_FILE (all or nothing; re-imports are skipped)."""
    from gpassist.db import shanghai_today
    from gpassist.errors import Problem
    from gpassist.settlement.importer import ImportRefused, import_csv

    try:
        text = csv_file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{csv_file}: not UTF-8 text: {exc}") from exc
    db = database()
    try:
        with db.transaction(actor=actor()) as session:
            report = import_csv(session, text, user=None, today=shanghai_today())
    except ImportRefused as exc:
        raise click.ClickException(f"{csv_file}: {exc}; nothing was imported") from exc
    except Problem as exc:
        raise click.ClickException(f"{csv_file}: {exc.detail or exc.title}") from exc
    finally:
        db.dispose()
    for facility, ref, settlement_id in report.imported:
        click.echo(f"imported {facility} {ref} (settlement {settlement_id})")
    for facility, ref in report.skipped:
        click.echo(f"skipped {facility} {ref} (already imported)")
    click.echo(f"{csv_file}: {report.summary()}")


@settlement.command("reconcile")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]))
@click.option("--facility", help="facility code (default: every facility)")
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path))
def settlement_reconcile(day, facility, csv_file) -> None:
    """Totals per facility and payer for one day, net of reversals, and the ledger check.

    Exits with status 1 when the settlements and the ledger journal disagree.
    """
    from gpassist.settlement.reconcile import describe, reconcile, totals_csv

    db = database()
    try:
        with db.sessionmaker() as session:
            try:
                rec = reconcile(session, day.date(), facility)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
    finally:
        db.dispose()
    click.echo(
        f"{rec.date} {rec.facility or 'all facilities'}: "
        f"{rec.settled_count} settled, {rec.reversed_count} reversed"
    )
    click.echo(f"{'facility':10} {'payer':20} {'settled':>12} {'reversed':>12} {'net':>12}")
    for r in rec.rows:
        click.echo(
            f"{r.facility:10} {r.payer:20} {r.settled_fen:>12} {r.reversed_fen:>12} {r.net_fen:>12}"
        )
    if csv_file is not None:
        csv_file.write_bytes(totals_csv(rec))
        click.echo(f"wrote {csv_file}")
    if rec.balanced:
        click.echo("balanced: settlements and ledger journal agree")
        return
    click.echo(f"UNBALANCED: {len(rec.differences)} difference(s)")
    for d in rec.differences:
        click.echo(f"  {describe(d)}")
    sys.exit(1)
