"""Training ``general``: the noisy-OR model from the KB tables, calibrated on noisy patients.

The weights are not learned from data: they are the KB's probabilities through the clipped
noisy-OR (``noisy_or.py``). Simulated noisy county patients (``simulate.noisy_patients``) fit one
temperature (calibration set) and give the figures in metrics.json (a separate evaluation set).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import (
    DEFAULT_TIER,
    TIER_WEIGHTS,
    KnowledgeBase,
    generative_tables,
)
from gpassist.diagnosis.training.noisy_or import MAX_FACTOR, NoisyOrClassifier, reliability
from gpassist.diagnosis.training.simulate import Noise, noisy_patients

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneralPlan:
    """Sizes of the general run; tests pass tiny ones."""

    calibration: int = 20000
    evaluation: int = 20000
    heldout_interview_patients: int = 300


def noisy_rows(space, tables, n, rng, noise: Noise | None = None):
    patients = noisy_patients(tables, n, rng, noise or Noise())
    rows = space.encode_arrays(patients.present, patients.known, patients.bands, patients.sexes)
    return rows, patients


def _topk(probabilities: np.ndarray, y: np.ndarray, k: int) -> float:
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return round(float((top == y[:, None]).any(axis=1).mean()), 4)


def noisy_figures(estimator, rows: np.ndarray, patients) -> dict:
    probabilities = estimator.predict_proba(rows)
    y = patients.labels
    return {
        "n": len(y),
        "top1": _topk(probabilities, y, 1),
        "top3": _topk(probabilities, y, 3),
        "top5": _topk(probabilities, y, 5),
        "present_findings_mean": round(patients.present_mean, 2),
        "known_findings_mean": round(float(patients.known.sum(axis=1).mean()), 2),
        **reliability(probabilities, y),
    }


def train_general(kb: KnowledgeBase, seed: int, plan: GeneralPlan) -> tuple:
    tables = generative_tables(kb)
    space = FeatureSpace(tables.symptoms, demographics=True)
    rng = np.random.default_rng([seed, 2])
    calibration_rows, calibration = noisy_rows(space, tables, plan.calibration, rng)
    evaluation_rows, evaluation = noisy_rows(space, tables, plan.evaluation, rng)
    estimator = NoisyOrClassifier(tables, MAX_FACTOR).fit(calibration_rows, calibration.labels)
    log.info("general: temperature %.3f", estimator.temperature_)
    # the same weights without the temperature, for the card: what calibration changed
    untempered = NoisyOrClassifier(tables, MAX_FACTOR, temperature=1.0).fit(None, None)
    label = f"noisy_or(max_factor={MAX_FACTOR:g}, temperature={estimator.temperature_:g})"
    chosen = {
        "candidate": label,
        "name": "noisy_or",
        "params": {"max_factor": MAX_FACTOR, "temperature": estimator.temperature_},
        "score": noisy_figures(estimator, evaluation_rows, evaluation)["top1"],
    }
    details = {
        "kind": "generative",
        "training": {
            "model": "clipped noisy-OR naive Bayes from the KB tables (no learned weights)",
            "max_factor": MAX_FACTOR,
            "temperature": estimator.temperature_,
            "calibration_patients": plan.calibration,
            "evaluation_patients": plan.evaluation,
            "noise": asdict(Noise()),
            "prior_tiers": TIER_WEIGHTS,
            "tier_counts": _tier_counts(kb, tables.conditions),
            "leak_mean": round(float(tables.leaks.mean()), 4),
            "leak_sum": round(float(tables.leaks.sum()), 2),
        },
        "noisy_simulation": noisy_figures(estimator, evaluation_rows, evaluation),
        "noisy_simulation_untempered": {
            k: v
            for k, v in noisy_figures(untempered, evaluation_rows, evaluation).items()
            if k != "reliability"
        },
        "selected": chosen,
        "_evaluation": (evaluation_rows, evaluation),
    }
    return space, tuple(tables.conditions), estimator, chosen, details, evaluation_rows[:256]


def _tier_counts(kb: KnowledgeBase, conditions) -> dict[str, int]:
    counts = dict.fromkeys(TIER_WEIGHTS, 0)
    for code in conditions:
        condition = kb.conditions.get(code)
        counts[(condition.prior_tier if condition else None) or DEFAULT_TIER] += 1
    return counts
