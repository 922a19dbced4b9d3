"""``gpassist diagnosis train|evaluate`` (issue 3)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("diagnosis")
def diagnosis() -> None:
    """Diagnosis models: train from a knowledge base, evaluate on cases or simulated patients."""


@diagnosis.command("train")
@click.option(
    "--kb", "folder", type=click.Path(exists=True, file_okay=False, path_type=Path), required=True
)
@click.option("--seed", default=0, show_default=True, type=int)
def train_command(folder: Path, seed: int) -> None:
    """Train the model of the knowledge base in FOLDER and write its artifacts there."""
    from gpassist.diagnosis.training import train

    metrics = train(folder, seed=seed)
    selected = metrics["selected"]
    score = selected.get("score_mean", selected["score"])  # cases: a cross-validated mean
    click.echo(f"{folder.name}: selected {selected['candidate']} (validation score {score})")
    click.echo(json.dumps(metrics["heldout"], ensure_ascii=False, indent=1))


@diagnosis.command("evaluate")
@click.option(
    "--model",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
)
@click.option("--cases", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--simulate", "simulate_n", type=click.IntRange(1, 1_000_000))
@click.option("--subset", type=click.Choice(["200", "300", "400"]))
@click.option(
    "--protocol", type=click.Choice(["full", "interview"]), default="full", show_default=True
)
@click.option("--max-turns", default=10, show_default=True, type=click.IntRange(0, 1000))
@click.option("--seed", default=None, type=int, help="simulation seed (default: a fixed one)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def evaluate_command(folder, cases, simulate_n, subset, protocol, max_turns, seed, as_json) -> None:
    """Evaluate the model in FOLDER on benchmark-format CASES or on N simulated patients."""
    from gpassist.diagnosis.knowledge import load_cases
    from gpassist.diagnosis.runtime import load_model
    from gpassist.diagnosis.training.evaluate import (
        SIMULATION_SEED,
        evaluate_cases,
        evaluate_simulated,
    )

    if (cases is None) == (simulate_n is None):
        raise click.UsageError("give exactly one of --cases FILE or --simulate N")
    model = load_model(folder)
    if simulate_n is not None:
        if model.kb.kind != "generative":
            raise click.UsageError("--simulate needs a generative knowledge base (general)")
        if subset is not None and subset not in model.kb.subsets:
            raise click.UsageError(f"subset {subset} is not in subsets.json")
        result = evaluate_simulated(
            model,
            simulate_n,
            protocol,
            max_turns,
            subset,
            seed if seed is not None else SIMULATION_SEED,
        )
    else:
        if subset is not None:
            raise click.UsageError("--subset applies to --simulate only")
        result = evaluate_cases(model, load_cases(cases), protocol, max_turns)
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        click.echo(f"{key:>20}: {value}")


@diagnosis.command("vignettes")
@click.option(
    "--model",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
)
@click.option(
    "--cases", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option(
    "--county",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a county folder (clinics/<county>): its epidemiology.yaml sets season and region",
)
@click.option("--json", "as_json", is_flag=True, help="one JSON object per case, then the figures")
@click.option(
    "--record",
    is_flag=True,
    help="write the figures to FOLDER/vignettes.json and rewrite the model card with them",
)
def vignettes_command(
    folder: Path, cases: Path, county: Path | None, as_json: bool, record: bool
) -> None:
    """Score the model in FOLDER on the clinical vignettes in CASES (issue 13).

    Prints one line per case (rank of the first gold diagnosis, the top three, triage against
    the gold one) and, last, one JSON object with the figures (see docs/diagnosis.md). Without
    --county the posterior has no season or region (the model's county-neutral prior).
    """
    from gpassist.diagnosis.runtime import load_model
    from gpassist.diagnosis.training import vignettes as vg

    model = load_model(folder)
    try:
        written = vg.read_vignettes(cases)
        checked = vg.check_codes(written, model.symptoms, model.conditions, vg.read_aliases(folder))
    except vg.VignetteError as exc:
        raise click.UsageError(f"{cases}: {exc}") from exc
    from gpassist.diagnosis.assessment import CaseInput, assess

    epidemiology = _county_epidemiology(county) if county is not None else None

    def assess_case(case: vg.Vignette):
        return assess(
            model,
            CaseInput(
                evidence=vg.evidence_of(case),
                age=case.age,
                sex=case.sex,
                vitals=case.vitals,
                month=case.month,
                epidemiology=epidemiology,
                age_months=case.age_months,
            ),
        )

    outcomes = vg.run(checked, assess_case)
    for outcome in outcomes:
        if as_json:
            click.echo(json.dumps(vg.case_json(outcome), ensure_ascii=False))
        else:
            click.echo(vg.case_line(outcome))
    figures = vg.summarise(outcomes)
    click.echo(json.dumps(figures, ensure_ascii=False))
    if record:
        from gpassist.diagnosis.training.model_card import rewrite_model_card

        vg.record(folder, cases, county, figures)
        rewrite_model_card(folder)


def _county_epidemiology(county: Path):
    """The county folder's epidemiology.yaml, validated as load-clinics validates it."""
    import yaml
    from pydantic import ValidationError

    from gpassist.diagnosis.epidemiology import parse

    path = county / "epidemiology.yaml"
    if not path.exists():
        raise click.UsageError(f"{county} has no epidemiology.yaml")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        return parse(json.dumps(document, sort_keys=True))
    except (yaml.YAMLError, ValidationError) as exc:
        raise click.UsageError(f"{path}: {exc}") from exc
