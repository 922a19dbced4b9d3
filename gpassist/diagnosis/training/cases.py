"""Training on a benchmark set of cases (dxy, mz4, mz10, mdd): every candidate scored by repeated
stratified cross-validation on all of train.json (``selection.py``), the interview's stop
probability from the same folds, out-of-fold figures through the service's engine, the answer
model counted from the cases, and the chosen estimator refitted on every case."""

from __future__ import annotations

import logging
import warnings

import numpy as np
from joblib import Parallel, delayed
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.interview import STOP_CHOICES, AnswerModel
from gpassist.diagnosis.knowledge import KnowledgeBase, load_cases
from gpassist.diagnosis.runtime import DiagnosisModel
from gpassist.diagnosis.training.estimators import CASES_CANDIDATES, exportable
from gpassist.diagnosis.training.evaluate import VALUE_STATES, summarise
from gpassist.diagnosis.training.export import to_onnx_bytes
from gpassist.diagnosis.training.selection import (
    REPEATS,
    SPLITS,
    batch_interview,
    case_matrix,
    choose_within_one_sd,
    repeated_folds,
    summary,
    top1,
)

NO_EARLY_STOP = STOP_CHOICES[-1]
N_JOBS = 2  # folds in two processes: ``gpassist diagnosis train`` stays within ~3 min on MZ-10

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


def answer_model(space: FeatureSpace, labels: tuple[str, ...], cases: list[dict]) -> AnswerModel:
    data = case_answer_model(space, labels, cases)
    return AnswerModel(
        tuple(data["symptoms"]),
        np.asarray(data["present"]),
        np.asarray(data["absent"]),
        np.asarray(data["frequency"]),
    )


def _fold(candidates, space, labels, cases, truth_all, seed, number, fit_idx, val_idx) -> dict:
    """Figures of every candidate on one fold: {label: (full top-1, {stop: (top-1, turns)})}."""
    with threadpool_limits(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit_cases = [cases[i] for i in fit_idx]
        rows, y = case_rows(space, fit_cases, np.random.default_rng([seed, 10, number]), copies=2)
        answers = answer_model(space, labels, fit_cases)
        matrix = case_matrix(space.symptoms, [cases[i] for i in val_idx], _case_states)
        truth = truth_all[val_idx]
        figures = {}
        for candidate in candidates:
            predict = _label_order(candidate.build(space, seed).fit(rows, y), labels)
            interviews = {}
            for stop in STOP_CHOICES:
                posteriors, asked, _ = batch_interview(predict, answers, matrix, stop)
                interviews[stop] = (top1(posteriors, truth), float(asked.mean()))
            figures[candidate.label()] = (top1(predict(matrix.full()), truth), interviews)
        return figures


def cross_validate(candidates, space, labels, cases, seed, splits=SPLITS, repeats=REPEATS):
    """Every candidate on the same repeated stratified folds of ``cases``, both protocols.

    Returns (per-candidate results, the folds). Interview figures at every stop probability of
    ``interview.STOP_CHOICES`` (the last one, 1.01, never stops early and is the one candidates
    are compared on). Folds run in ``N_JOBS`` processes; each fold's randomness comes from its
    own seed, so the figures do not depend on the order the processes finish in."""
    truth_all = np.asarray([labels.index(c["label"]) for c in cases])
    folds = repeated_folds(truth_all, seed, splits, repeats)
    per_fold = Parallel(n_jobs=N_JOBS)(
        delayed(_fold)(candidates, space, labels, cases, truth_all, seed, number, fit, val)
        for number, (_, fit, val) in enumerate(folds)
    )
    raw = {
        c.label(): {"repeat": [], "full": [], **{s: [] for s in STOP_CHOICES}} for c in candidates
    }
    turns = {c.label(): {s: [] for s in STOP_CHOICES} for c in candidates}
    for (repeat, _, _), figures in zip(folds, per_fold, strict=True):
        for label, (full, interviews) in figures.items():
            raw[label]["repeat"].append(repeat)
            raw[label]["full"].append(full)
            for stop, (top, asked) in interviews.items():
                raw[label][stop].append(top)
                turns[label][stop].append(asked)
    results = []
    for candidate in candidates:
        record = raw[candidate.label()]
        repeats_of = record["repeat"]
        scores = [(f + i) / 2 for f, i in zip(record["full"], record[NO_EARLY_STOP], strict=True)]
        results.append(
            {
                "candidate": candidate.label(),
                "name": candidate.name,
                "params": candidate.params,
                "top1_full": summary(record["full"], repeats_of),
                "top1_interview": summary(record[NO_EARLY_STOP], repeats_of),
                "score": summary(scores, repeats_of),
                "stop_probability_choice": [
                    {
                        "stop_probability": stop,
                        "top1": summary(record[stop], repeats_of)["mean"],
                        "avg_turns": round(float(np.mean(turns[candidate.label()][stop])), 2),
                    }
                    for stop in STOP_CHOICES
                ],
            }
        )
    return results, {"splits": len(folds) // repeats, "repeats": repeats, "folds": folds}


def _label_order(estimator, labels):
    """predict_proba with columns in ``labels`` order (every fold holds every label)."""
    if list(estimator.classes_) != list(labels):
        raise ValueError("a fold is missing a label")
    return estimator.predict_proba


def train_cases(kb: KnowledgeBase, seed: int, cases: list[dict] | None = None) -> tuple:
    cases = cases if cases is not None else load_cases(kb.training_path())
    space = cases_space(cases)
    labels = tuple(sorted({c["label"] for c in cases}))
    log.info("%s: %d candidates, %dx%d folds", kb.name, len(CASES_CANDIDATES), REPEATS, SPLITS)
    comparison, folds = cross_validate(CASES_CANDIDATES, space, labels, cases, seed)
    by_label = {c.label(): c for c in CASES_CANDIDATES}
    chosen = choose_within_one_sd(comparison, lambda r: by_label[r["candidate"]].complexity())
    candidate = by_label[chosen["candidate"]]
    stop_table = chosen["stop_probability_choice"]
    # best mean top-1; ties (and everything within 0.002) go to fewer questions
    best = max(r["top1"] for r in stop_table)
    stop_probability = min(
        (r for r in stop_table if r["top1"] >= best - 0.002), key=lambda r: r["avg_turns"]
    )["stop_probability"]
    heldout = out_of_fold(space, labels, candidate, cases, folds, seed, stop_probability)
    # the committed model: refitted on all of train.json
    rows, y_all = case_rows(space, cases, np.random.default_rng([seed, 21]), copies=2)
    estimator = candidate.build(space, seed).fit(rows, y_all)
    details = {
        "kind": "cases",
        "training": {
            "cases": len(cases),
            "masked_copies_per_case": 2,
            "cv_splits": folds["splits"],
            "cv_repeats": folds["repeats"],
            "seed": seed,
        },
        "comparison": comparison,
        "selected": {**chosen, "score_mean": chosen["score"]["mean"]},
        "selection_rule": "highest mean score (mean of full and interview top-1 per fold); the "
        "simplest candidate within one sd of the per-repeat means of the best is preferred",
        "stop_probability_choice": stop_table,
        "heldout": heldout,
        "_stop_probability": stop_probability,
        "_all": cases,
    }
    return space, labels, estimator, chosen, details, rows[:256]


def out_of_fold(space, labels, candidate, cases, folds, seed, stop_probability) -> dict:
    """The chosen estimator's figures on the first repeat's folds: every case scored once by a
    model fitted without it. Same interview as the service (``batch_interview`` is checked
    against the one-case engine in the tests)."""
    truth_all = np.asarray([labels.index(c["label"]) for c in cases])
    parts: dict[str, list] = {
        "full": [],
        "interview": [],
        "interview_baseline_most_frequent": [],
        "explicit_only": [],
    }
    truth, recall = [], []
    first = [(fit, val) for repeat, fit, val in folds["folds"] if repeat == 0]
    for number, (fit_idx, val_idx) in enumerate(first):
        fit_cases = [cases[i] for i in fit_idx]
        rows, y = case_rows(space, fit_cases, np.random.default_rng([seed, 10, number]), copies=2)
        predict = _label_order(candidate.build(space, seed).fit(rows, y), labels)
        answers = answer_model(space, labels, fit_cases)
        matrix = case_matrix(space.symptoms, [cases[i] for i in val_idx], _case_states)
        parts["full"].append((predict(matrix.full()), np.zeros(len(val_idx)), None))
        parts["interview"].append(batch_interview(predict, answers, matrix, stop_probability))
        parts["interview_baseline_most_frequent"].append(
            batch_interview(predict, answers, matrix, stop_probability, policy="frequent")
        )
        parts["explicit_only"].append(batch_interview(predict, answers, matrix, 2.0, 0))
        truth.append(truth_all[val_idx])
        recall.append(matrix.implicit)
    truth_array, known = np.concatenate(truth), np.vstack(recall) > 0
    result = {}
    for name, pieces in parts.items():
        posteriors = np.vstack([p for p, _, _ in pieces])
        turns = np.concatenate([t for _, t, _ in pieces]).tolist()
        shares = []
        if name != "full":  # as evaluate_cases: implicit symptoms in the final evidence
            final = np.vstack([e for _, _, e in pieces])
            has = known.sum(axis=1)
            shares = ((final & known).sum(axis=1)[has > 0] / has[has > 0]).tolist()
        result[name] = summarise(posteriors, truth_array, turns, shares)
    return result


def in_memory_model(kb, space, labels, estimator, cases, stop_probability=None) -> DiagnosisModel:
    metadata = {"features": space.names(), "labels": list(labels)}
    if stop_probability is not None:
        metadata["interview"] = {"stop_probability": stop_probability}
    answers = answer_model(space, labels, cases)
    return DiagnosisModel(kb, metadata, to_onnx_bytes(exportable(estimator), space.width), answers)
