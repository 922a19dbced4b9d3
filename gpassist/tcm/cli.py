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
@click.option(
    "--holdout",
    default=0.2,
    show_default=True,
    type=click.FloatRange(0.0, 0.5),
    help="Share of records kept out of selection and fitting and scored at the end; 0 selects "
    "by CV on all records and fits on all of them.",
)
def train_command(data_path: Path, out: Path, seed: int, folds: int, holdout: float) -> None:
    """Choose by stratified K-fold CV, fit, export to ONNX and write the artifacts in OUT."""
    from gpassist.tcm.training import TrainingDataError, train

    try:
        metrics = train(data_path, out, seed=seed, folds=folds, holdout=holdout, log=click.echo)
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        json.dumps(
            {"cross_validation": metrics["cross_validation"], "holdout": metrics["holdout"]},
            ensure_ascii=False,
            indent=1,
        )
    )


ENGINE_HELP = (
    "learned: the ONNX model; kb: 辨证 over the knowledge base; combined: both, blended with the "
    "cross-validated weights (combination.json). Default: kb when --model is a knowledge base "
    "folder (kb.yaml), else learned."
)


def _default_kb() -> Path | None:
    from gpassist.tcm.runtime import model_root

    folder = model_root() / "primary-care"
    return folder if (folder / "kb.yaml").exists() else None


def _load_kb(folder: Path):
    from gpassist.tcm.knowledge import KnowledgeBaseError, load

    try:
        return load(folder)
    except KnowledgeBaseError as exc:
        raise click.ClickException(str(exc)) from exc


@tcm.command("evaluate")
@click.option(
    "--model",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    required=True,
    help="a learned model folder (disease.onnx) or a knowledge base folder (kb.yaml)",
)
@click.option(
    "--records", type=click.Path(exists=True, dir_okay=False, path_type=Path), required=True
)
@click.option("--engine", type=click.Choice(["learned", "kb", "combined"]), help=ENGINE_HELP)
@click.option(
    "--kb",
    "kb_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="the knowledge base for kb/combined (default: the packaged primary-care)",
)
@click.option(
    "--confusions",
    is_flag=True,
    help="kb/combined: also list the records whose leading disease is wrong (gold → predicted)",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def evaluate_command(
    folder: Path,
    records: Path,
    engine: str | None,
    kb_folder: Path | None,
    confusions: bool,
    as_json: bool,
) -> None:
    """Disease accuracy and syndrome figures (top-1-in-gold, top-3) on RECORDS (the TCM-TBOSD
    format) of a learned model, a knowledge base, or both combined."""
    from gpassist.tcm.training import TrainingDataError
    from gpassist.tcm.training.evaluate import evaluate

    is_kb = (folder / "kb.yaml").exists()
    engine = engine or ("kb" if is_kb else "learned")
    if is_kb and engine != "kb":
        raise click.ClickException(
            f"{folder} is a knowledge base: --engine {engine} needs a learned model folder "
            "as --model and the KB as --kb"
        )
    if not is_kb and not (folder / "disease.onnx").exists():
        raise click.ClickException(f"{folder}: no disease.onnx (not a TCM model folder)")
    try:
        if engine == "learned":
            result = {"engine": engine} | evaluate(folder, records)
        else:
            kb_path = folder if is_kb else (kb_folder or _default_kb())
            if kb_path is None:
                raise click.ClickException("no knowledge base: give --kb DIR")
            result = _ranked(
                engine, records, _load_kb(kb_path), None if is_kb else folder, confusions
            )
    except TrainingDataError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    for key, value in result.items():
        click.echo(f"{key}: {value}")


def _ranked(
    engine: str, records: Path, kb, model_folder: Path | None, confusions: bool = False
) -> dict:
    from gpassist.tcm.combine import Weights
    from gpassist.tcm.runtime import TcmModel, model_root
    from gpassist.tcm.training.engines import evaluate_engine

    model = TcmModel.from_folder(model_folder, cached=False) if model_folder else None
    weights = Weights.from_folder(model_root()) if engine == "combined" else None
    return evaluate_engine(
        engine, records, kb=kb, model=model, weights=weights, confusions=confusions
    )


@tcm.command("calibrate")
@click.option(
    "--kb",
    "kb_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="the knowledge base (default: the packaged primary-care)",
)
@click.option(
    "--model",
    "model_folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="the learned model whose parameters are refitted per fold (default: packaged tbosd)",
)
@click.option(
    "--data", "data_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True, help="the TCM-TBOSD training records (never the textbook cases)",
)  # fmt: skip
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(2, 20))
@click.option("--seed", default=0, show_default=True, type=int)
def calibrate_command(
    kb_folder: Path | None,
    model_folder: Path | None,
    data_path: Path,
    out: Path,
    folds: int,
    seed: int,
) -> None:
    """Cross-validate the KB, the learned model and their combination on DATA; choose the
    combination's weights and write them with the per-fold figures to OUT (combination.json)."""
    from gpassist.tcm.runtime import DEFAULT_MODEL, model_root
    from gpassist.tcm.training.engines import cross_validate, write

    kb_path = kb_folder or _default_kb()
    if kb_path is None:
        raise click.ClickException("no knowledge base: give --kb DIR")
    model_folder = model_folder or model_root() / DEFAULT_MODEL
    metadata = json.loads((model_folder / "metadata.json").read_text(encoding="utf-8"))
    result = cross_validate(
        _load_kb(kb_path), data_path, metadata["params"], folds=folds, seed=seed, log=click.echo
    )
    result["learned_model"] = {"name": metadata["name"], "version": metadata["version"]}
    write(result, out)
    summary = {
        e: {k: v for k, v in result["cross_validation"][e].items() if k != "per_fold"}
        for e in ("kb", "learned", "combined")
    }
    click.echo(json.dumps({"weights": result["weights"], **summary}, ensure_ascii=False))
