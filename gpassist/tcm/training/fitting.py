"""Fitting the two classifiers and choosing their parameters by stratified K-fold CV.

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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from gpassist.tcm.features import BLOCKS, Block, FeatureSpace
from gpassist.tcm.training.data import Labelled, subset
from gpassist.tcm.training.evaluate import score

# The history block and disease C = 10 lost to the points below in every CV run with the lead
# block (MODEL_CARD.md), so they are no longer searched: each point costs minutes on 2 cores.
DEFAULT_GRID: dict[str, list] = {
    "history_weight": [0.0],  # 0: the history block is left out
    "lead_weight": [0.5, 1.0],  # the chief complaint's lead block (0 would leave it out)
    "sign_weight": [1.0],  # the tongue, coating and pulse qualities, read by the syndromes only
    "disease_C": [3.0],
    "syndrome_C": [10.0],
    "threshold": [0.3, 0.5, 0.7],
}


@dataclass
class Fitted:
    space: FeatureSpace
    disease: object  # LogisticRegression
    syndrome: object  # LogisticRegression
    diseases: list[str]
    syndromes: list[str]
    threshold: float
    params: dict = field(default_factory=dict)


SYNDROME_ONLY_BLOCKS = frozenset({"signs"})


def _weights(params: Mapping) -> dict[str, float]:
    return {
        "complaint": 1.0,
        "tongue_pulse": 1.0,
        "history": float(params["history_weight"]),
        # models fitted before the lead block existed have no lead_weight
        "lead": float(params.get("lead_weight", 0.0)),
        "signs": float(params.get("sign_weight", 0.0)),
    }


def fit_space(
    tokenised: Sequence[Mapping[str, list[str]]],
    weights: Mapping[str, float],
    max_features: int,
) -> FeatureSpace:
    """One TF-IDF block per field group (sublinear tf, tokens in at least two records), fitted
    with scikit-learn; the vocabularies and IDF weights are what metadata.json stores and the
    service's ``FeatureSpace.encode`` reproduces without scikit-learn."""
    blocks = []
    for name in BLOCKS:
        if weights.get(name, 0.0) <= 0:
            continue  # a block left out by the chosen parameters
        vectoriser = TfidfVectorizer(
            analyzer=_identity, sublinear_tf=True, min_df=2, max_features=max_features
        )
        vectoriser.fit([r[name] for r in tokenised])
        vocabulary = {
            t: int(j) for t, j in sorted(vectoriser.vocabulary_.items(), key=lambda kv: kv[1])
        }
        blocks.append(Block(name, vocabulary, vectoriser.idf_.astype(np.float64), weights[name]))
    return FeatureSpace(blocks)


def _identity(tokens_: list[str]) -> list[str]:
    return tokens_


def _space(tokenised, params, max_features) -> FeatureSpace:
    return fit_space(tokenised, _weights(params), max_features)


def _lr(C: float) -> LogisticRegression:
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


def _for_disease(space: FeatureSpace, x: np.ndarray) -> np.ndarray:
    """``x`` with the columns the disease classifier must not read set to zero. Fitted so, its
    coefficients for them are exactly zero, and the exported model reads full rows: the tongue
    and pulse qualities (the signs block) tell syndromes apart but blur the diseases (CV: disease
    accuracy fell by 0.01-0.02 when the disease classifier read them too)."""
    out = x.copy()
    for block in space.blocks:
        if block.name in SYNDROME_ONLY_BLOCKS:
            out[:, block.offset : block.offset + block.width] = 0.0
    return out


def fit(data: Labelled, params: Mapping, max_features: int = 5000) -> Fitted:
    diseases = sorted(set(data.diseases))
    syndromes = sorted({s for gold in data.syndromes for s in gold})
    space = _space(data.tokenised, params, max_features)
    x = space.encode(data.tokenised)
    y = np.asarray([diseases.index(d) for d in data.diseases])
    disease = _lr(params["disease_C"]).fit(_for_disease(space, x), y)
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


def cross_validate(
    data: Labelled, grid: Mapping[str, list], folds: int, seed: int, max_features: int, log=print
):
    """Mean CV figures for every point of the grid (threshold varies without refitting)."""
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(data.diseases)), data.diseases))
    results = []
    fit_keys = (
        *("history_weight", "lead_weight", "sign_weight"),
        *("disease_C", "syndrome_C"),
    )
    for values in product(*(grid[k] for k in fit_keys)):
        params = dict(zip(fit_keys, values, strict=True))
        per_threshold: dict[float, list[dict]] = {t: [] for t in grid["threshold"]}
        for train_idx, test_idx in splits:
            train, test = subset(data, train_idx), subset(data, test_idx)
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
