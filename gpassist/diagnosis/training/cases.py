"""Training on a benchmark set of cases (dxy, mz4, mz10, mdd): 80/20 split, 5-fold selection,
the interview's stop probability on an inner split, and the answer model counted from the cases."""

from __future__ import annotations

import logging

import numpy as np
from sklearn.model_selection import StratifiedKFold, train_test_split

from gpassist.diagnosis import interview
from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.interview import AnswerModel
from gpassist.diagnosis.knowledge import KnowledgeBase, load_cases
from gpassist.diagnosis.runtime import DiagnosisModel
from gpassist.diagnosis.training.estimators import CASES_CANDIDATES, choose, exportable, scores
from gpassist.diagnosis.training.evaluate import VALUE_STATES, evaluate_cases
from gpassist.diagnosis.training.export import to_onnx_bytes

log = logging.getLogger(__name__)


# -- benchmark sets ------------------------------------------------------------------------------


def _case_states(case: dict) -> tuple[dict[str, str], dict[str, str]]:
    convert = lambda d: {c: VALUE_STATES.get(str(v), "unknown") for c, v in d.items()}  # noqa: E731
    return convert(case.get("exp_sxs", {})), convert(case.get("imp_sxs", {}))


def case_rows(space: FeatureSpace, cases: list[dict], rng: np.random.Generator, copies: int):
    """Each case in full, then ``copies`` more with implicit symptoms each kept w.p. q ~ U(0,1)."""
    rows, labels = [], []
    index = space.index()
    for case in cases:
        explicit, implicit = _case_states(case)
        rows.append(space.encode({**implicit, **explicit}, index=index))
        labels.append(case["label"])
        for _ in range(copies):
            keep = rng.random()
            kept = {c: s for c, s in implicit.items() if rng.random() < keep}
            rows.append(space.encode({**kept, **explicit}, index=index))
            labels.append(case["label"])
    return np.asarray(rows, dtype=np.float32), np.asarray(labels)


def _case_views(space, cases, rng):
    index = space.index()
    full, masked = [], []
    for case in cases:
        explicit, implicit = _case_states(case)
        full.append(space.encode({**implicit, **explicit}, index=index))
        half = {c: s for c, s in implicit.items() if rng.random() < 0.5}
        masked.append(space.encode({**half, **explicit}, index=index))
    labels = np.asarray([c["label"] for c in cases])
    return {"full": (np.asarray(full), labels), "masked": (np.asarray(masked), labels)}


def case_answer_model(
    space: FeatureSpace, labels: tuple[str, ...], cases: list[dict], alpha: float = 0.5
) -> dict:
    """P(answer present / absent / not recorded | label) per symptom, smoothed, counted over the
    cases' implicit symptoms: in the interview protocol those are what answers a question (an
    explicit symptom is already known and never asked)."""
    column, row = space.index(), {c: i for i, c in enumerate(labels)}
    counts = np.zeros((3, len(labels), space.n_symptoms))
    totals = np.zeros(len(labels))
    for case in cases:
        r = row[case["label"]]
        totals[r] += 1
        _, implicit = _case_states(case)
        for code, state in implicit.items():
            if code in column and state != "unknown":
                counts[0 if state == "present" else 1, r, column[code]] += 1
    counts[2] = totals[:, None] - counts[0] - counts[1]
    probabilities = (counts + alpha) / (totals[None, :, None] + 3 * alpha)
    frequency = counts[0].sum(axis=0) / max(totals.sum(), 1)
    return {
        "symptoms": list(space.symptoms),
        "conditions": list(labels),
        "present": np.round(probabilities[0], 6).tolist(),
        "absent": np.round(probabilities[1], 6).tolist(),
        "frequency": np.round(frequency, 6).tolist(),
        "smoothing": alpha,
    }


def cases_space(cases: list[dict]) -> FeatureSpace:
    symptoms = sorted(
        {c for case in cases for c in (*case.get("exp_sxs", {}), *case.get("imp_sxs", {}))}
    )
    return FeatureSpace(tuple(symptoms), demographics=False)


def _cv_compare(candidate, space, cases, seed) -> dict:
    labels = np.asarray([c["label"] for c in cases])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)
    collected = {"top1_full": [], "top1_masked": [], "logloss_full": [], "logloss_masked": []}
    for fold, (fit_idx, val_idx) in enumerate(folds.split(np.zeros(len(labels)), labels)):
        rng = np.random.default_rng([seed, 10, fold])
        rows, y = case_rows(space, [cases[i] for i in fit_idx], rng, copies=2)
        estimator = candidate.build(space, seed).fit(rows, y)
        for view, (vrows, vy) in _case_views(space, [cases[i] for i in val_idx], rng).items():
            top1, loss = scores(estimator, vrows, vy)
            collected[f"top1_{view}"].append(top1)
            collected[f"logloss_{view}"].append(loss)
    result = {"candidate": candidate.label(), "name": candidate.name, "params": candidate.params}
    result.update({k: round(float(np.mean(v)), 4) for k, v in collected.items()})
    result["score"] = round((result["top1_full"] + result["top1_masked"]) / 2, 4)
    return result


def train_cases(kb: KnowledgeBase, seed: int, cases: list[dict] | None = None) -> tuple:
    cases = cases if cases is not None else load_cases(kb.training_path())
    space = cases_space(cases)
    labels = tuple(sorted({c["label"] for c in cases}))
    y = [c["label"] for c in cases]
    fit_part, heldout = train_test_split(cases, test_size=0.2, random_state=seed, stratify=y)
    comparison = []
    for candidate in CASES_CANDIDATES:
        log.info("%s: cross-validating %s", kb.name, candidate.label())
        comparison.append(_cv_compare(candidate, space, fit_part, seed))
    chosen = choose(comparison)
    candidate = next(c for c in CASES_CANDIDATES if c.label() == chosen["candidate"])
    stop_probability, stop_table = _choose_stop_probability(
        kb, space, labels, candidate, fit_part, seed
    )
    # held-out figures: the chosen estimator fitted on the 80 % only
    rows, y80 = case_rows(space, fit_part, np.random.default_rng([seed, 20]), copies=2)
    partial = candidate.build(space, seed).fit(rows, y80)
    # the committed model: refitted on all of train.json
    rows, y_all = case_rows(space, cases, np.random.default_rng([seed, 21]), copies=2)
    estimator = candidate.build(space, seed).fit(rows, y_all)
    details = {
        "kind": "cases",
        "training": {
            "cases": len(cases),
            "fit_cases": len(fit_part),
            "heldout_cases": len(heldout),
            "masked_copies_per_case": 2,
        },
        "comparison": comparison,
        "selected": chosen,
        "stop_probability_choice": stop_table,
        "_stop_probability": stop_probability,
        "_partial": partial,
        "_heldout": heldout,
        "_fit_part": fit_part,
        "_all": cases,
    }
    return space, labels, estimator, chosen, details, rows[:256]


def _choose_stop_probability(kb, space, labels, candidate, cases, seed) -> tuple[float, list]:
    """Fit on 75 % of ``cases``, run the interview on the other 25 % for each threshold; keep
    the best top-1 (ties: fewer questions). The outer held-out split is not touched."""
    y = [c["label"] for c in cases]
    inner_fit, inner_val = train_test_split(cases, test_size=0.25, random_state=seed, stratify=y)
    rows, fit_y = case_rows(space, inner_fit, np.random.default_rng([seed, 30]), copies=2)
    model = in_memory_model(
        kb, space, labels, candidate.build(space, seed).fit(rows, fit_y), inner_fit
    )
    table = []
    for threshold in interview.STOP_CHOICES:
        model.stop_probability = threshold
        result = evaluate_cases(model, inner_val, "interview")
        table.append(
            {
                "stop_probability": threshold,
                "top1": result["top1"],
                "avg_turns": result["avg_turns"],
            }
        )
    best = max(table, key=lambda r: (r["top1"], -r["avg_turns"]))
    return best["stop_probability"], table


def in_memory_model(kb, space, labels, estimator, cases, stop_probability=None) -> DiagnosisModel:
    metadata = {"features": space.names(), "labels": list(labels)}
    if stop_probability is not None:
        metadata["interview"] = {"stop_probability": stop_probability}
    data = case_answer_model(space, labels, cases)
    answers = AnswerModel(
        tuple(data["symptoms"]),
        np.asarray(data["present"]),
        np.asarray(data["absent"]),
        np.asarray(data["frequency"]),
    )
    return DiagnosisModel(kb, metadata, to_onnx_bytes(exportable(estimator), space.width), answers)
