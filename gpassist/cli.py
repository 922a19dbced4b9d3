"""The ``gpassist`` command: serve, db upgrade, load-clinics, create-user, seed-demo."""

from __future__ import annotations

import getpass
import logging
import sys
from pathlib import Path

import click

from gpassist.config import SettingsError, load_settings
from gpassist.db import Database


def _database() -> Database:
    return Database(load_settings()["DATABASE_URL"])


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _prepare_sqlite_folder(url: str) -> None:
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


@click.group()
def main() -> None:
    """gpassist: the GP assistant service for village clinics."""
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


@main.command("load-clinics")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def load_clinics(folder: Path) -> None:
    """Load or update the county registry from FOLDER (county, drugs, services, formularies)."""
    from gpassist.clinics.loader import RegistryFileError, apply_registry, read_registry

    try:
        files = read_registry(folder)
    except RegistryFileError as exc:
        raise click.ClickException(str(exc)) from exc
    database = _database()
    with database.transaction(actor=_actor()) as session:
        report = apply_registry(session, files)
    click.echo(f"loaded {folder}: {report.summary()}")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--display-name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["village_doctor", "specialist", "pharmacist", "admin"]),
)
@click.option("--clinic", "clinic_code", help="village clinic code, for a village doctor")
@click.option("--department", help="FACILITY/DEPARTMENT code, for a specialist, e.g. CH/cardiology")
@click.option("--password-stdin", is_flag=True, help="read the password from standard input")
def create_user(username, display_name, role, clinic_code, department, password_stdin) -> None:
    """Create a user; the password is asked for (never passed as an argument)."""
    from gpassist.auth.service import create_user as create
    from gpassist.auth.tables import Role
    from gpassist.errors import Problem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    dept = tuple(department.split("/", 1)) if department else None
    if dept is not None and len(dept) != 2:
        raise click.BadParameter("use FACILITY/DEPARTMENT", param_hint="--department")
    try:
        with _database().transaction(actor=_actor()) as session:
            user = create(
                session,
                username=username,
                display_name=display_name,
                password=password,
                role=Role(role),
                clinic_code=clinic_code,
                department=dept,  # type: ignore[arg-type]
            )
            click.echo(f"created {user.role.value} {user.username} (id {user.id})")
    except Problem as exc:
        raise click.ClickException(str(exc.detail or exc.title)) from exc


@main.command("seed-demo")
@click.option("--patients", default=400, show_default=True, help="synthetic patients to create")
@click.option("--seed", default=20261128, show_default=True)
def seed_demo(patients: int, seed: int) -> None:
    """Create demo users for every role and synthetic patients (demo county only; idempotent)."""
    from gpassist.demo import DEMO_PASSWORD, NotADemoCounty
    from gpassist.demo import seed_demo as seed_all

    try:
        with _database().transaction(actor=_actor()) as session:
            result = seed_all(session, patients=patients, seed=seed)
    except NotADemoCounty as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"demo data: {result.summary()}")
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for username, what in result.logins:
        click.echo(f"  {username:24} {what}")


@main.group()
def followup() -> None:
    """Chronic-disease follow-up."""


@followup.command("plan")
@click.option(
    "--cases",
    "cases_file",
    required=True,
    type=click.File("r", encoding="utf-8"),
    help="JSON file of patients and visits ('-' for standard input)",
)
def followup_plan(cases_file) -> None:
    """Classify visits, decide referrals and next due dates from a JSON file (no database)."""
    import json

    from pydantic import ValidationError

    from gpassist.followup.plan import Cases, plan

    try:
        cases = Cases.model_validate_json(cases_file.read())
    except ValidationError as exc:
        raise click.ClickException(f"{cases_file.name}: {_problems(exc)}") from exc
    click.echo(json.dumps(plan(cases), ensure_ascii=False, indent=2))


@main.group()
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
        raise click.ClickException(f"policy: {_problems(exc)}") from exc
    except yaml.YAMLError as exc:
        raise click.ClickException(f"policy: not valid YAML: {exc}") from exc
    try:
        cases = Cases.model_validate_json(cases_file.read())
    except ValidationError as exc:
        raise click.ClickException(f"{cases_file.name}: {_problems(exc)}") from exc
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
    database = _database()
    try:
        with database.transaction(actor=_actor()) as session:
            report = import_csv(session, text, user=None, today=shanghai_today())
    except ImportRefused as exc:
        raise click.ClickException(f"{csv_file}: {exc}; nothing was imported") from exc
    except Problem as exc:
        raise click.ClickException(f"{csv_file}: {exc.detail or exc.title}") from exc
    finally:
        database.dispose()
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

    database = _database()
    try:
        with database.sessionmaker() as session:
            try:
                rec = reconcile(session, day.date(), facility)
            except LookupError as exc:
                raise click.ClickException(str(exc)) from exc
    finally:
        database.dispose()
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


def _problems(exc) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or '(file)'}: {err['msg']}"
        for err in exc.errors(include_url=False)[:5]
    )


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


from gpassist.consult.cli import consult as _consult  # noqa: E402
from gpassist.diagnosis.cli import diagnosis as _diagnosis  # noqa: E402

main.add_command(_diagnosis)
main.add_command(_consult)
from gpassist.tcm.cli import tcm as _tcm  # noqa: E402

main.add_command(_tcm)

if __name__ == "__main__":
    main()
