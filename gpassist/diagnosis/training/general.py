"""Training on the generative ``general`` knowledge base: simulated patients, masked views."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import KnowledgeBase, generative_tables
from gpassist.diagnosis.training.estimators import GENERAL_CANDIDATES, choose, compare
from gpassist.diagnosis.training.simulate import Masking, mask, simulate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GeneralPlan:
    """Sizes of the general run; tests pass tiny ones."""

    train_per_condition: int = 300
    chunk: int = 20000
    validation: int = 16000
    lr_rows: int = 8000  # logistic regression only sees a subsample: 801-class lbfgs is slow
    heldout_patients: int = 2000
    heldout_interview_patients: int = 600


# -- general -------------------------------------------------------------------------------------


def _general_rows(space, tables, n, rng, masked: bool):
    patients = simulate(tables, n, rng)
    if masked:
        known, bands, sexes = mask(patients, rng, Masking())
    else:
        known, bands, sexes = np.ones_like(patients.present), patients.bands, patients.sexes
    rows = space.encode_arrays(patients.present, known, bands, sexes)
    return rows, patients.labels


def _fit_general_candidates(candidates, space, tables, plan, seed) -> list:
    """Every candidate learns from the same simulated stream, generated once chunk by chunk."""
    estimators = [c.build(space, seed) for c in candidates]
    rng = np.random.default_rng([seed, 1])
    total = plan.train_per_condition * len(tables.conditions)
    classes = np.arange(len(tables.conditions))
    done = 0
    while done < total:
        size = min(plan.chunk, total - done)
        rows, labels = _general_rows(space, tables, size, rng, masked=True)
        for candidate, estimator in zip(candidates, estimators, strict=True):
            if candidate.name == "logistic_regression":
                if done == 0:  # 801-class lbfgs is slow: it sees the first rows only
                    estimator.fit(rows[: plan.lr_rows], labels[: plan.lr_rows])
            else:
                estimator.partial_fit(rows, labels, classes=classes)
        done += size
    return estimators


def train_general(kb: KnowledgeBase, seed: int, plan: GeneralPlan) -> tuple:
    tables = generative_tables(kb)
    space = FeatureSpace(tables.symptoms, demographics=True)
    rng = np.random.default_rng([seed, 2])
    half = plan.validation // 2
    views = {
        "full": _general_rows(space, tables, half, rng, masked=False),
        "masked": _general_rows(space, tables, half, rng, masked=True),
    }
    log.info("general: fitting %d candidates", len(GENERAL_CANDIDATES))
    estimators = _fit_general_candidates(GENERAL_CANDIDATES, space, tables, plan, seed)
    comparison, fitted = [], {}
    for candidate, estimator in zip(GENERAL_CANDIDATES, estimators, strict=True):
        comparison.append(compare(candidate, estimator, views))
        fitted[candidate.label()] = estimator
    chosen = choose(comparison)
    estimator = fitted[chosen["candidate"]]
    labels = tuple(tables.conditions)
    details = {
        "kind": "generative",
        "training": {
            "simulated_patients": plan.train_per_condition * len(labels),
            "masking": asdict(Masking()),
            "validation_patients": plan.validation,
            "logistic_regression_rows": plan.lr_rows,
        },
        "comparison": comparison,
        "selected": chosen,
    }
    return space, labels, estimator, chosen, details, views["full"][0][:256]
