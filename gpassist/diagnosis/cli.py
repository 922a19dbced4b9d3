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
