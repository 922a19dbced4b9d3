"""``gpassist tcm train|evaluate`` (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("tcm")
def tcm() -> None:
    """TCM syndrome differentiation models (中医辨证): train and evaluate."""


@tcm.command("train")
@click.option(
    "--data",
    "data_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
def train_command(data_path: Path, out: Path, seed: int, folds: int) -> None:
    """Choose by stratified K-fold CV, fit, export to ONNX and write the artifacts in OUT."""
    from gpassist.tcm.training import TrainingDataError, train

    try:
        metrics = train(data_path, out, seed=seed, folds=folds, log=click.echo)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        json.dumps(
            {"cross_validation": metrics["cross_validation"], "holdout": metrics["holdout"]},
            ensure_ascii=False,
            indent=1,
        )
    )


@tcm.command("evaluate")
@click.option(
    "--model",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
)
@click.option(
    "--records", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def evaluate_command(folder: Path, records: Path, as_json: bool) -> None:
    """Disease accuracy and syndrome figures of the model in FOLDER on RECORDS (training format)."""
    from gpassist.tcm.training import TrainingDataError
    from gpassist.tcm.training.evaluate import evaluate

    if not (folder / "disease.onnx").exists():
        raise click.ClickException(f"{folder}: no disease.onnx (not a TCM model folder)")
    try:
        result = evaluate(folder, records)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value}")
