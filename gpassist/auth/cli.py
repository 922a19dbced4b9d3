"""``gpassist create-user``: a user made from the command line, the password never an argument."""

from __future__ import annotations

import sys

import click

from gpassist.cli_support import actor, database


@click.command("create-user")
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
    db = database()
    try:
        with db.transaction(actor=actor()) as session:
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
    finally:
        db.dispose()
