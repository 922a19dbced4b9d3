"""The leak / noisy-OR likelihood model of ``general`` as a scikit-learn estimator.

For condition c and finding s (``knowledge.GenerativeTables``):

    P(s present | c) = 1 − (1 − leak_s)(1 − p_cs)        (p_cs = 0 when the KB does not list s)

A present finding adds log P, an absent one log(1 − P), an unknown one nothing (``features.py``
keeps the three apart). Every finding's effect is measured against its leak-only baseline (a
condition that does not explain it) and clipped to a factor ``max_factor`` either way:

    w⁺_cs = clip(log P_cs − log leak_s,            −log F, log F)
    w⁻_cs = clip(log(1 − P_cs) − log(1 − leak_s),  −log F, log F)

The baselines are the same for every condition, so dropping them leaves the softmax unchanged: the
model is exactly the clipped noisy-OR naive Bayes. F = 20 (``MAX_FACTOR``): a likelihood ratio of
10 or more is already "large, often conclusive" for one finding (Jaeschke, Guyatt, Sackett, JAMA
1994, Users' guides to the medical literature III), and the strongest single bedside findings
in McGee's Evidence-Based Physical Diagnosis (4th ed., 2018) rarely exceed 20; so no single answer
— right, wrong or a KB error — moves a condition by more than the best real findings do, and two
or three concordant findings are needed to overturn a tier of prior (a factor 10).

Age band and sex enter as log P(band | c) and log P(sex | c) (SymCat odds, normalised; a zero
floored at ``DEMOGRAPHIC_FLOOR`` so a KB zero is strong but not absolute), the county base rate
as the intercept log π_c. All of it is a linear softmax in the 0/1 features; ``fit`` computes the
weights from the tables and then fits one temperature T on simulated noisy patients (minimum
log-loss, raised if needed so that answers ≥ 0.9 are right ≥ 90 % of the time on them):
P(c | x) = softmax((w·x + b) / T). ``to_logistic`` is the same function as a LogisticRegression
(what gets exported to ONNX).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import GenerativeTables
from gpassist.diagnosis.training.estimators import as_logistic

MAX_FACTOR = 20.0
DEMOGRAPHIC_FLOOR = 1e-3
CONFIDENT = 0.9  # answers at or above this must be right this often
TEMPERATURE_RANGE = (0.5, 8.0)


def finding_weights(
    tables: GenerativeTables, max_factor: float = MAX_FACTOR
) -> tuple[np.ndarray, np.ndarray]:
    """(present, absent) weights, each (C, S): the clipped log-likelihood ratios against the
    leak-only baseline."""
    leak = np.clip(tables.leaks, 1e-6, 1 - 1e-6)[None, :]
    p_present = np.clip(tables.noisy_or(), 1e-12, 1 - 1e-12)
    bound = np.log(max_factor)
    up = np.clip(np.log(p_present) - np.log(leak), -bound, bound)
    down = np.clip(np.log1p(-p_present) - np.log1p(-leak), -bound, bound)
    return up, down


def linear_weights(
    tables: GenerativeTables, space: FeatureSpace, max_factor: float = MAX_FACTOR
) -> tuple[np.ndarray, np.ndarray]:
    """(coef (C, width), intercept (C,)) of the untempered model in ``space``'s layout."""
    if space.symptoms != tables.symptoms:
        raise ValueError("feature symptoms and KB symptoms differ")
    up, down = finding_weights(tables, max_factor)
    blocks = [up, down]
    if space.demographics:
        blocks.append(np.log(np.maximum(tables.age, DEMOGRAPHIC_FLOOR)))
        blocks.append(np.log(np.maximum(tables.sex, DEMOGRAPHIC_FLOOR)))
    intercept = np.log(tables.priors)
    return np.hstack(blocks), intercept - intercept.mean()


def softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


class NoisyOrClassifier(ClassifierMixin, BaseEstimator):
    """Clipped noisy-OR naive Bayes over a generative KB, with a fitted temperature.

    ``fit(X, y)``: X, y are simulated noisy patients (``simulate.noisy_patients``) in the layout
    of ``FeatureSpace(tables.symptoms, demographics)``; they set the temperature only."""

    def __init__(
        self,
        tables: GenerativeTables | None = None,
        max_factor: float = MAX_FACTOR,
        demographics: bool = True,
        temperature: float | None = None,
    ):
        self.tables = tables
        self.max_factor = max_factor
        self.demographics = demographics
        self.temperature = temperature  # None: fit it

    def fit(self, X, y):
        space = FeatureSpace(self.tables.symptoms, self.demographics)
        self.raw_coef_, self.raw_intercept_ = linear_weights(self.tables, space, self.max_factor)
        self.classes_ = np.arange(len(self.tables.conditions))
        self.n_features_in_ = space.width
        if self.temperature is not None:
            self.temperature_ = float(self.temperature)
        else:
            scores = self._scores(np.asarray(X, dtype=np.float64))
            self.temperature_ = fit_temperature(scores, np.asarray(y))
        self.coef_ = self.raw_coef_ / self.temperature_
        self.intercept_ = self.raw_intercept_ / self.temperature_
        return self

    def _scores(self, X: np.ndarray) -> np.ndarray:
        return X @ self.raw_coef_.T + self.raw_intercept_

    def predict_proba(self, X):
        return softmax(np.asarray(X, dtype=np.float64) @ self.coef_.T + self.intercept_)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def to_logistic(self) -> LogisticRegression:
        return as_logistic(self.classes_, self.coef_, self.intercept_)


def _log_loss(scores: np.ndarray, y: np.ndarray, temperature: float) -> float:
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(z).sum(axis=1))
    return float((log_norm - z[np.arange(len(y)), y]).mean())


def confident_accuracy(probabilities: np.ndarray, y: np.ndarray) -> tuple[float | None, int]:
    """(accuracy of the answers whose top probability is ≥ CONFIDENT, how many there are)."""
    top = probabilities.max(axis=1)
    confident = top >= CONFIDENT
    if not confident.any():
        return None, 0
    right = probabilities.argmax(axis=1) == y
    return float(right[confident].mean()), int(confident.sum())


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Minimum log-loss temperature; raised (in steps of 5 %) until answers ≥ 0.9 are right at
    least 92 % of the time on these patients — a margin over the required 90 % for fresh ones."""
    low, high = TEMPERATURE_RANGE
    found = minimize_scalar(lambda t: _log_loss(scores, y, t), bounds=(low, high), method="bounded")
    temperature = float(found.x)
    while temperature < high:
        accuracy, _ = confident_accuracy(softmax(scores / temperature), y)
        if accuracy is None or accuracy >= 0.92:
            break
        temperature *= 1.05
    return round(min(temperature, high), 4)


def reliability(probabilities: np.ndarray, y: np.ndarray, bins: int = 10) -> dict:
    """Reliability table of the top answer (equal-width confidence bins), expected calibration
    error (bin-size-weighted |accuracy − confidence|) and the accuracy of answers ≥ 0.9."""
    top = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == y
    edges = np.linspace(0.0, 1.0, bins + 1)
    table, ece = [], 0.0
    for i in range(bins):
        inside = (top >= edges[i]) & ((top < edges[i + 1]) if i < bins - 1 else (top <= 1.0))
        if not inside.any():
            continue
        confidence, accuracy = float(top[inside].mean()), float(right[inside].mean())
        ece += inside.mean() * abs(accuracy - confidence)
        table.append(
            {
                "bin": f"{edges[i]:.1f}-{edges[i + 1]:.1f}",
                "n": int(inside.sum()),
                "confidence": round(confidence, 4),
                "accuracy": round(accuracy, 4),
            }
        )
    confident, n_confident = confident_accuracy(probabilities, y)
    return {
        "ece": round(float(ece), 4),
        "accuracy_at_0_9": None if confident is None else round(confident, 4),
        "answers_at_0_9": n_confident,
        "reliability": table,
    }
