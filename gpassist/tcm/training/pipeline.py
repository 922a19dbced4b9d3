"""``gpassist tcm train``: choose by stratified K-fold CV (``fitting``), fit on the development
part, export both classifiers to ONNX, check that onnxruntime reproduces scikit-learn, score the
held-out part and write the model folder (disease.onnx, syndrome.onnx, metadata.json,
metrics.json). MODEL_CARD.md of the committed model is written by hand from metrics.json.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import onnxruntime
import skl2onnx
import sklearn
from skl2onnx import to_onnx
from sklearn.model_selection import train_test_split

from gpassist.tcm.features import BLOCKS
from gpassist.tcm.runtime import TcmModel
from gpassist.tcm.training.data import labelled, read_records, subset
from gpassist.tcm.training.evaluate import score
from gpassist.tcm.training.fitting import (
    DEFAULT_GRID,
    Fitted,
    cross_validate,
    fit,
    selection_key,
)

PARITY_TOLERANCE = 1e-5
# Raised when the features change, so that a model retrained on the same data and seed with
# other features gets another version (2: the lead and signs blocks).
FEATURES_REVISION = 2


class ParityError(RuntimeError):
    """onnxruntime's probabilities differ from scikit-learn's by more than 1e-5."""


def check_parity(served: TcmModel, fitted: Fitted, tokenised: Sequence[Mapping]) -> float:
    """Max |onnxruntime − scikit-learn| over both classifiers; ParityError above 1e-5."""
    x = served.space.encode(tokenised)
    pd, ps = served.probabilities_of_rows(x)
    expected_pd = fitted.disease.predict_proba(x)
    expected_ps = fitted.syndrome.predict_proba(np.hstack([x, pd.astype(np.float32)]))
    difference = max(
        float(np.abs(pd[:, fitted.disease.classes_] - expected_pd).max()),
        float(np.abs(ps[:, fitted.syndrome.classes_] - expected_ps).max()),
    )
    if difference > PARITY_TOLERANCE:
        raise ParityError(f"onnxruntime differs from scikit-learn by {difference:.2e}")
    return difference


def onnx_bytes(estimator, width: int) -> bytes:
    """``estimator`` as ONNX over float32 rows of ``width``, probabilities as a plain tensor."""
    sample = np.zeros((1, width), dtype=np.float32)
    return to_onnx(
        estimator, sample, options={id(estimator): {"zipmap": False}}
    ).SerializeToString()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _split(data, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Development and held-out record indices; with ``holdout`` 0 every record is for
    development (select by CV, then fit on all: the model that ships sees all the data, and its
    figures are the cross-validated ones)."""
    index = np.arange(len(data.diseases))
    if holdout <= 0:
        return index.tolist(), []
    dev_idx, hold_idx = train_test_split(
        index, test_size=holdout, stratify=data.diseases, random_state=seed
    )
    return sorted(dev_idx.tolist()), sorted(hold_idx.tolist())


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
    """Select by CV on the development part, fit on it, evaluate the held-out part (if any),
    export."""
    grid = dict(grid or DEFAULT_GRID)
    records = read_records(data_path)
    log(f"{len(records)} records; tokenising …")
    data = labelled(records)
    dev_idx, hold_idx = _split(data, holdout, seed)
    dev, held = subset(data, dev_idx), subset(data, hold_idx)
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
        "version": f"{FEATURES_REVISION}-{sha256_file(data_path)[:8]}-s{seed}",
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
    parity = check_parity(served, model, held.tokenised or dev.tokenised[:20])
    log(f"onnxruntime vs scikit-learn: max difference {parity:.2e}")
    held_out = None
    if held.records:
        pd, ps = served.probabilities(held.tokenised)
        held_out = score(pd, ps, served.diseases, served.syndromes, held, served.threshold)
    metrics = {
        "cross_validation": {k: v for k, v in best.items() if k != "params"} | {"folds": folds},
        "holdout": held_out,
        "grid": cv,
        "parity_max_abs_difference": parity,
        "selected": best["params"],
    }
    (out / "metrics.json").write_text(
        json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    if held_out is not None:
        log(f"held out ({len(hold_idx)} records): {held_out}")
    return metrics
