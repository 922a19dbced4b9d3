"""``gpassist diagnosis train``: fit, select by held-out validation, export to ONNX, write files.

general (generative KB): training rows are simulated patients (``simulate.simulate``) with some
known facts hidden (``simulate.Masking``); validation rows are a separate simulated stream.
Benchmark sets (cases KB): every candidate is scored by repeated stratified cross-validation on
all of train.json (``cases.py``, ``selection.py``): mean top-1 of the full and the interview
protocol, the simplest candidate within one sd of the best preferred; metrics.json carries each
candidate's mean ± sd and out-of-fold figures of the chosen one; the committed model is then
refitted on all of train.json. Each training case also appears twice more with its implicit
symptoms partly hidden (each kept with probability q ~ U(0,1)), so the model is right
mid-interview too.

Selection score for general: mean top-1 of the "full" view (every fact known) and of a masked
view (the training masking), ties broken by log-loss.

Everything runs on one core (threadpoolctl) and is deterministic for a given seed.
"""

from __future__ import annotations

import json
import platform
import warnings
from pathlib import Path

import numpy as np
import onnxruntime
import skl2onnx
import sklearn
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from gpassist.diagnosis import interview
from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import file_sha256, generative_tables, load_cases, load_kb
from gpassist.diagnosis.runtime import DiagnosisModel, answer_model_for
from gpassist.diagnosis.training.cases import case_answer_model, case_rows, train_cases
from gpassist.diagnosis.training.estimators import Candidate, exportable
from gpassist.diagnosis.training.evaluate import evaluate_noisy_interview
from gpassist.diagnosis.training.export import check_parity, to_onnx_bytes
from gpassist.diagnosis.training.general import GeneralPlan, noisy_rows, train_general
from gpassist.diagnosis.training.model_card import write_model_card
from gpassist.diagnosis.training.noisy_or import NoisyOrClassifier

# -- the whole run -------------------------------------------------------------------------------


def _metadata(
    kb, space, labels, estimator, chosen, seed, parity, extra_files, stop_probability
) -> dict:
    exported = exportable(estimator)
    hashes = {p.name: file_sha256(p) for p in kb.source_files()}
    if kb.kind == "cases":
        hashes["train.json"] = file_sha256(kb.training_path())
    hashes.update(extra_files)
    return {
        "name": kb.name,
        "version": kb.version,
        "kind": kb.kind,
        "clinical": kb.clinical,
        "features": space.names(),
        "labels": list(labels),
        "estimator": {
            "selected": chosen["candidate"],
            "exported_class": type(exported).__name__,
            "params": {k: v for k, v in chosen["params"].items()},
            "selected_by": "held-out validation (see metrics.json)"
            if kb.kind == "generative"
            else "repeated stratified cross-validation (see metrics.json)",
        },
        "seed": seed,
        "interview": {
            "policy": "expected information gain (bits)",
            "stop_probability": stop_probability,
            "min_gain_bits": interview.MIN_GAIN,
        },
        "parity_max_abs_diff": parity,
        "versions": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
            "numpy": np.__version__,
        },
        "data_sha256": hashes,
    }


def write_json(path: Path, value: dict) -> None:
    path.write_text(
        json.dumps(value, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8"
    )


def train(folder: Path, seed: int = 0, plan: GeneralPlan | None = None) -> dict:
    """Train the KB in ``folder``; write model.onnx, metadata.json, metrics.json, MODEL_CARD.md.
    ``plan`` sets the sizes of a generative run (default: the committed model's)."""
    folder = Path(folder)
    plan = plan or GeneralPlan()
    kb = load_kb(folder)
    with threadpool_limits(limits=1), warnings.catch_warnings():
        # capped iterations are a deliberate budget; the comparison table shows their effect
        warnings.simplefilter("ignore", ConvergenceWarning)
        if kb.kind == "generative":
            space, labels, estimator, chosen, details, sample = train_general(kb, seed, plan)
        else:
            space, labels, estimator, chosen, details, sample = train_cases(kb, seed)
        exported = exportable(estimator)
        onnx_bytes = to_onnx_bytes(exported, space.width)
        parity = check_parity(estimator, onnx_bytes, sample)
        check_parity(exported, onnx_bytes, sample)
        extra = {}
        if kb.kind == "cases":
            likelihoods = case_answer_model(space, labels, details["_all"])
            write_json(folder / "likelihoods.json", likelihoods)
            extra["likelihoods.json"] = file_sha256(folder / "likelihoods.json")
        (folder / "model.onnx").write_bytes(onnx_bytes)
        stop = details.get("_stop_probability", interview.STOP_PROBABILITY)
        metadata = _metadata(kb, space, labels, estimator, chosen, seed, parity, extra, stop)
        write_json(folder / "metadata.json", metadata)
        metrics = _heldout_metrics(kb, folder, metadata, onnx_bytes, details, seed, plan)
        write_json(folder / "metrics.json", metrics)
    write_model_card(folder, kb, metadata, metrics)
    return metrics


def _heldout_metrics(kb, folder, metadata, onnx_bytes, details, seed, plan) -> dict:
    public = {k: v for k, v in details.items() if not k.startswith("_")}
    if kb.kind == "generative":
        model = DiagnosisModel(
            kb, metadata, onnx_bytes, answer_model_for(kb, folder, tuple(metadata["labels"]))
        )
        figures = details["noisy_simulation"]
        public["heldout"] = {
            "noisy_full": {k: v for k, v in figures.items() if k != "reliability"},
            "noisy_interview": evaluate_noisy_interview(
                model, plan.heldout_interview_patients, seed=seed + 1_000_003
            ),
        }
        return public
    # cases: cross-validated in train_cases (details["heldout"]: out-of-fold, the service's engine)
    return public


def fit_like_committed(model_folder: Path, n_samples: int = 2000, seed: int = 0):
    """(estimator, X) — an estimator of the committed model's class and hyper-parameters, fitted
    quickly on ``n_samples`` rows, and float32 rows in the committed feature order (for timing
    scikit-learn against onnxruntime; prediction cost depends on the model's shape only)."""
    folder = Path(model_folder)
    kb = load_kb(folder)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    space = FeatureSpace.from_names(metadata["features"])
    rng = np.random.default_rng(seed)
    if kb.kind == "generative":
        # the committed general model is computed from the KB, not fitted: rebuild it exactly
        tables = generative_tables(kb)
        rows, _ = noisy_rows(space, tables, n_samples, rng)
        params = metadata["estimator"]["params"]
        estimator = NoisyOrClassifier(
            tables, params["max_factor"], temperature=params["temperature"]
        ).fit(None, None)
        return exportable(estimator), rows.astype(np.float32)
    selected = metadata["estimator"]["selected"]
    name = selected.split("(")[0]
    params = metadata["estimator"]["params"]
    if "hidden_layer_sizes" in params:
        params = dict(params, hidden_layer_sizes=tuple(params["hidden_layer_sizes"]))
    candidate = Candidate(name, params)
    cases = load_cases(kb.training_path())
    rows, y = case_rows(space, cases, rng, copies=0)
    with threadpool_limits(limits=1):
        estimator = candidate.build(space, seed)
        estimator = estimator.fit(rows, y)
    return exportable(estimator), rows.astype(np.float32)
