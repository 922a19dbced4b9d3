"""``gpassist followup plan``: classify visits and plan follow-ups from a JSON file (issue 4)."""

from __future__ import annotations

import click

from gpassist.cli_support import problems


@click.group("followup")
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
        raise click.ClickException(f"{cases_file.name}: {problems(exc)}") from exc
    click.echo(json.dumps(plan(cases), ensure_ascii=False, indent=2))
