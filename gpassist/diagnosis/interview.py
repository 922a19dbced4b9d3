"""Next best question: expected information gain over the model's posterior.

For a candidate symptom s and the current posterior π over conditions, the answer model gives
P(answer = present | c) and P(answer = absent | c) (``general``: the KB's P(s | c) and 1 - P(s | c);
benchmark sets: how often the symptom was recorded present / absent for each label in train.json,
smoothed, so a symptom patients rarely report on is worth less). The score of s is

    gain(s) = Σ_{a ∈ {present, absent}} P(a) · (H(π) − H(π | a))     [bits]

with π | a ∝ π · P(a | c); an "unknown" answer leaves the model's posterior unchanged, so it
contributes nothing. To keep a turn cheap the sum runs over the smallest set of conditions holding
99.9 % of the posterior (at most 200), renormalised.

Stopping (``should_stop``): the top condition reaches the model's stop probability (metadata
``interview.stop_probability``: 0.9 for ``general``; for benchmark sets chosen in training among
``STOP_CHOICES`` on an inner validation split), the question limit is
reached, or no remaining question is worth ``MIN_GAIN`` bits. A question already in the evidence
(whatever its answer) is never asked again.

``most_frequent`` is the baseline policy the metrics compare against: ask the symptoms most often
present overall, in that order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STOP_PROBABILITY = 0.9
STOP_CHOICES = (0.8, 0.9, 0.95, 0.99, 1.01)  # 1.01: never stop on confidence
MIN_GAIN = 1e-3
POSTERIOR_MASS = 0.999
MAX_CONDITIONS = 200


@dataclass(frozen=True)
class AnswerModel:
    symptoms: tuple[str, ...]
    present: np.ndarray  # (C, S) P(answer present | condition), label order of the model
    absent: np.ndarray  # (C, S) P(answer absent | condition)
    frequency: np.ndarray  # (S,) how often the symptom is present overall (baseline policy)

    def restricted(self, rows: np.ndarray) -> AnswerModel:
        return AnswerModel(self.symptoms, self.present[rows], self.absent[rows], self.frequency)


def entropy_bits(p: np.ndarray, axis: int = 0) -> np.ndarray:
    safe = np.where(p > 0, p, 1.0)
    return -(p * np.log2(safe)).sum(axis=axis)


def _leading(posterior: np.ndarray) -> np.ndarray:
    order = np.argsort(-posterior, kind="stable")
    cumulative = np.cumsum(posterior[order])
    count = int(np.searchsorted(cumulative, POSTERIOR_MASS * cumulative[-1])) + 1
    return order[: min(max(count, 2), MAX_CONDITIONS, posterior.size)]


def expected_gains(posterior: np.ndarray, answers: AnswerModel) -> np.ndarray:
    """(S,) expected information gain in bits of asking each symptom."""
    rows = _leading(posterior)
    prior = posterior[rows] / posterior[rows].sum()
    before = float(entropy_bits(prior))
    gains = np.zeros(len(answers.symptoms))
    for table in (answers.present[rows], answers.absent[rows]):
        joint = prior[:, None] * table
        p_answer = joint.sum(axis=0)
        after = entropy_bits(joint / np.where(p_answer > 0, p_answer, 1.0), axis=0)
        gains += p_answer * (before - after)
    return gains


def choose_question(
    posterior: np.ndarray, answers: AnswerModel, asked: np.ndarray, policy: str = "eig"
) -> tuple[int | None, float]:
    """(symptom column, score) of the next question, or (None, 0.0) if nothing is left.

    ``asked`` is a boolean mask over ``answers.symptoms`` of codes already in the evidence."""
    if asked.all():
        return None, 0.0
    if policy == "frequent":
        scores = np.where(asked, -np.inf, answers.frequency)
    elif policy == "eig":
        scores = np.where(asked, -np.inf, expected_gains(posterior, answers))
    else:
        raise ValueError(f"unknown policy {policy!r}")
    column = int(np.argmax(scores))
    return column, float(scores[column])


def should_stop(
    posterior: np.ndarray,
    questions_asked: int,
    max_questions: int,
    best_gain: float | None,
    stop_probability: float = STOP_PROBABILITY,
) -> bool:
    if questions_asked >= max_questions or best_gain is None:
        return True
    return float(posterior.max()) >= stop_probability or best_gain < MIN_GAIN
