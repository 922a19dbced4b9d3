"""Training the TCM model: choose by stratified K-fold CV, fit, export to ONNX, check parity.

Two classifiers, both multinomial logistic regression:
- disease: TF-IDF blocks → one of the diseases;
- syndromes (证型), conditioned on the disease: TF-IDF blocks + the disease probabilities → a
  distribution over syndromes. A record with two syndromes is seen twice at half weight, so the
  probabilities rank syndromes; the suggested set is every syndrome with at least ``threshold`` ×
  the top probability (always at least one). Training uses the gold disease one-hot; serving and
  evaluation feed the disease model's probabilities.

Deterministic: fixed seeds for the splits, lbfgs (deterministic) for the fits.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gpassist.tcm.features import BLOCKS, FeatureSpace, block_tokens

DISEASE_KEY = "疾病"
SYNDROME_KEY = "证型"
PARITY_TOLERANCE = 1e-5
DEFAULT_GRID: dict[str, list] = {
    "history_weight": [0.0, 0.5],  # 0: the history block is left out
    "disease_C": [3.0, 10.0],
    "syndrome_C": [10.0],
    "threshold": [0.3, 0.5, 0.7],
}


class TrainingDataError(ValueError):
    """The records file is not in the training format."""


@dataclass
class Labelled:
    records: list[dict]
    tokenised: list[dict[str, list[str]]]
    diseases: list[str]
    syndromes: list[list[str]]


def read_records(path: Path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise TrainingDataError(f"{path}: cannot read a JSON list of records ({exc})") from exc
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise TrainingDataError(f"{path}: expected a JSON list of objects")
    return data


def labelled(records: Sequence[Mapping]) -> Labelled:
    for i, r in enumerate(records):
        if not r.get(DISEASE_KEY) or not r.get(SYNDROME_KEY):
            raise TrainingDataError(f"record {i}: needs {DISEASE_KEY} and {SYNDROME_KEY}")
    return Labelled(
        list(records),
        [block_tokens(r) for r in records],
        [str(r[DISEASE_KEY]).strip() for r in records],
        [[s.strip() for s in str(r[SYNDROME_KEY]).split("|") if s.strip()] for r in records],
    )


# --- fitting ------------------------------------------------------------------------------------


@dataclass
class Fitted:
    space: FeatureSpace
    disease: object  # LogisticRegression
    syndrome: object  # LogisticRegression
    diseases: list[str]
    syndromes: list[str]
    threshold: float
    params: dict = field(default_factory=dict)


def _weights(params: Mapping) -> dict[str, float]:
    return {"complaint": 1.0, "tongue_pulse": 1.0, "history": float(params["history_weight"])}


def _space(tokenised, params, max_features) -> FeatureSpace:
    return FeatureSpace.fit(tokenised, _weights(params), max_features)


def _lr(C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, max_iter=5000, tol=1e-6)


def syndrome_rows(x: np.ndarray, disease_probabilities: np.ndarray) -> np.ndarray:
    return np.hstack([x, disease_probabilities]).astype(np.float32)


def _duplicate_by_syndrome(x, syndromes, labels):
    rows, targets, weights = [], [], []
    for i, gold in enumerate(syndromes):
        for s in gold:
            rows.append(i)
            targets.append(labels.index(s))
            weights.append(1.0 / len(gold))
    return x[rows], np.asarray(targets), np.asarray(weights)


def fit(data: Labelled, params: Mapping, max_features: int = 5000) -> Fitted:
    diseases = sorted(set(data.diseases))
    syndromes = sorted({s for gold in data.syndromes for s in gold})
    space = _space(data.tokenised, params, max_features)
    x = space.encode(data.tokenised)
    y = np.asarray([diseases.index(d) for d in data.diseases])
    disease = _lr(params["disease_C"]).fit(x, y)
    onehot = np.eye(len(diseases), dtype=np.float32)[y]
    xs, ys, ws = _duplicate_by_syndrome(syndrome_rows(x, onehot), data.syndromes, syndromes)
    syndrome = _lr(params["syndrome_C"]).fit(xs, ys, sample_weight=ws)
    return Fitted(
        space, disease, syndrome, diseases, syndromes, float(params["threshold"]), dict(params)
    )


def sklearn_probabilities(model: Fitted, tokenised) -> tuple[np.ndarray, np.ndarray]:
    x = model.space.encode(tokenised)
    pd = _full(model.disease.predict_proba(x), model.disease.classes_, len(model.diseases))
    ps = model.syndrome.predict_proba(syndrome_rows(x, pd))
    return pd, _full(ps, model.syndrome.classes_, len(model.syndromes))


def _full(p, classes, n):
    out = np.zeros((p.shape[0], n))
    out[:, classes] = p
    return out


# --- scoring ------------------------------------------------------------------------------------


def suggested_set(ps_row: np.ndarray, threshold: float) -> list[int]:
    """Every syndrome with at least ``threshold`` × the top probability; the top one always."""
    top = float(ps_row.max())
    order = np.argsort(-ps_row, kind="stable")
    return [int(j) for j in order if ps_row[j] >= threshold * top] or [int(order[0])]


def score(
    pd: np.ndarray,
    ps: np.ndarray,
    diseases: list[str],
    syndromes: list[str],
    data: Labelled,
    threshold: float,
) -> dict:
    """n, disease_accuracy, syndrome_micro_f1, syndrome_exact_match, syndrome_top1_in_gold."""
    n = len(data.diseases)
    if n == 0:
        return {
            "n": 0,
            "disease_accuracy": None,
            "syndrome_micro_f1": None,
            "syndrome_exact_match": None,
            "syndrome_top1_in_gold": None,
        }
    correct = sum(diseases[int(i)] == d for i, d in zip(pd.argmax(1), data.diseases, strict=True))
    tp = predicted = gold_total = exact = top1 = 0
    for row, gold in zip(ps, data.syndromes, strict=True):
        chosen = {syndromes[j] for j in suggested_set(row, threshold)}
        gold_set = set(gold)
        tp += len(chosen & gold_set)
        predicted += len(chosen)
        gold_total += len(gold_set)
        exact += chosen == gold_set
        top1 += syndromes[int(row.argmax())] in gold_set
    return {
        "n": n,
        "disease_accuracy": round(correct / n, 4),
        "syndrome_micro_f1": round(2 * tp / (predicted + gold_total), 4),
        "syndrome_exact_match": round(exact / n, 4),
        "syndrome_top1_in_gold": round(top1 / n, 4),
    }


def _subset(data: Labelled, idx) -> Labelled:
    return Labelled(
        [data.records[i] for i in idx],
        [data.tokenised[i] for i in idx],
        [data.diseases[i] for i in idx],
        [data.syndromes[i] for i in idx],
    )


def cross_validate(
    data: Labelled, grid: Mapping[str, list], folds: int, seed: int, max_features: int, log=print
):
    """Mean CV figures for every point of the grid (threshold varies without refitting)."""
    from itertools import product

    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(data.diseases)), data.diseases))
    results = []
    fit_keys = ("history_weight", "disease_C", "syndrome_C")
    for values in product(*(grid[k] for k in fit_keys)):
        params = dict(zip(fit_keys, values, strict=True))
        per_threshold: dict[float, list[dict]] = {t: [] for t in grid["threshold"]}
        for train_idx, test_idx in splits:
            train, test = _subset(data, train_idx), _subset(data, test_idx)
            model = fit(train, {**params, "threshold": 0.5}, max_features)
            pd, ps = sklearn_probabilities(model, test.tokenised)
            for t in grid["threshold"]:
                per_threshold[t].append(score(pd, ps, model.diseases, model.syndromes, test, t))
        for t, scores in per_threshold.items():
            mean = {
                k: round(float(np.mean([s[k] for s in scores])), 4) for k in scores[0] if k != "n"
            }
            results.append({"params": {**params, "threshold": t}, "n": len(data.diseases), **mean})
        log(f"  {params}: {results[-len(per_threshold) :]}")
    return results


def selection_key(result: Mapping) -> tuple:
    # Top-1 syndrome-in-gold and disease accuracy are the targets; F1 breaks ties.
    return (
        result["syndrome_top1_in_gold"] + result["disease_accuracy"],
        result["syndrome_micro_f1"],
    )


# --- export -------------------------------------------------------------------------------------


def onnx_bytes(estimator, width: int) -> bytes:
    from skl2onnx import to_onnx

    sample = np.zeros((1, width), dtype=np.float32)
    return to_onnx(
        estimator, sample, options={id(estimator): {"zipmap": False}}
    ).SerializeToString()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def train(
    data_path: Path,
    out: Path,
    *,
    name: str | None = None,
    seed: int = 0,
    folds: int = 5,
    holdout: float = 0.2,
    grid: Mapping[str, list] | None = None,
    max_features: int = 5000,
    log=print,
) -> dict:
    """Select by CV on the development part, fit on it, evaluate the held-out part, export."""
    import onnxruntime
    import skl2onnx
    import sklearn
    from sklearn.model_selection import train_test_split

    from gpassist.tcm.runtime import TcmModel

    grid = dict(grid or DEFAULT_GRID)
    records = read_records(data_path)
    log(f"{len(records)} records; tokenising …")
    data = labelled(records)
    index = np.arange(len(records))
    dev_idx, hold_idx = train_test_split(
        index, test_size=holdout, stratify=data.diseases, random_state=seed
    )
    dev_idx, hold_idx = sorted(dev_idx.tolist()), sorted(hold_idx.tolist())
    dev, held = _subset(data, dev_idx), _subset(data, hold_idx)
    log(f"cross-validating {folds} folds on {len(dev_idx)} development records …")
    cv = cross_validate(dev, grid, folds, seed, max_features, log)
    best = max(cv, key=selection_key)
    log(f"chosen {best['params']}: {best}")
    model = fit(dev, best["params"], max_features)

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    disease_onnx = onnx_bytes(model.disease, model.space.width)
    syndrome_onnx = onnx_bytes(model.syndrome, model.space.width + len(model.diseases))
    (out / "disease.onnx").write_bytes(disease_onnx)
    (out / "syndrome.onnx").write_bytes(syndrome_onnx)
    metadata = {
        "name": name or out.name,
        # from the data and the seed, not the date: retraining the same data gives the same files
        "version": f"1-{sha256_file(data_path)[:8]}-s{seed}",
        "clinical": False,
        "diseases": model.diseases,
        "syndromes": model.syndromes,
        "threshold": model.threshold,
        "params": best["params"],
        "blocks": {k: list(v) for k, v in BLOCKS.items()},
        "features": model.space.to_json(),
        "data": {
            "file": Path(data_path).name,
            "sha256": sha256_file(data_path),
            "records": len(records),
        },
        "split": {
            "seed": seed,
            "holdout": holdout,
            "holdout_ids": [str(records[i].get("ID", i)) for i in hold_idx],
        },
        "versions": {
            "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__,
            "onnxruntime": onnxruntime.__version__,
        },
    }
    (out / "metadata.json").write_text(
        json.dumps(metadata, ensure_ascii=False, indent=1), encoding="utf-8"
    )

    served = TcmModel.from_folder(out, cached=False)
    parity = served.parity_with(model, held.tokenised or dev.tokenised[:20])
    log(f"onnxruntime vs scikit-learn: max difference {parity:.2e}")
    pd, ps = served.probabilities(held.tokenised) if held.records else (np.zeros((0, 0)),) * 2
    metrics = {
        "cross_validation": {k: v for k, v in best.items() if k != "params"} | {"folds": folds},
        "holdout": score(pd, ps, served.diseases, served.syndromes, held, served.threshold),
        "grid": cv,
        "parity_max_abs_difference": parity,
        "selected": best["params"],
    }
    (out / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    log(f"held out ({len(hold_idx)} records): {metrics['holdout']}")
    return metrics
