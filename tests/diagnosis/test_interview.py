"""Next best question: information arithmetic, never asking twice, stopping."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gpassist.diagnosis.interview import AnswerModel, choose_question, entropy_bits, expected_gains
from gpassist.diagnosis.runtime import load_model

from .fixtures_ml import COMMITTED

probabilities = arrays(np.float64, (6, 5), elements=st.floats(0.0, 1.0))
weights = arrays(np.float64, 6, elements=st.floats(0.01, 1.0))


@given(probabilities, weights)
@settings(deadline=None)
def test_information_gain_is_between_zero_and_the_current_entropy(p, w):
    posterior = w / w.sum()
    answers = AnswerModel(tuple("abcde"), p, 1.0 - p, p.mean(axis=0))
    gains = expected_gains(posterior, answers)
    assert (gains >= -1e-9).all()
    assert (gains <= entropy_bits(posterior) + 1e-9).all()


@given(probabilities, weights, arrays(bool, 5))
@settings(deadline=None)
def test_a_question_already_asked_is_never_chosen(p, w, asked):
    answers = AnswerModel(tuple("abcde"), p, 1.0 - p, p.mean(axis=0))
    for policy in ("eig", "frequent"):
        column, _ = choose_question(w / w.sum(), answers, asked, policy)
        assert (column is None) == bool(asked.all())
        if column is not None:
            assert not asked[column]


def test_a_symptom_that_separates_the_candidates_wins():
    p = np.array([[0.9, 0.5], [0.1, 0.5]])  # symptom 0 separates, symptom 1 says nothing
    answers = AnswerModel(("a", "b"), p, 1.0 - p, np.array([0.5, 0.9]))
    column, gain = choose_question(np.array([0.5, 0.5]), answers, np.zeros(2, dtype=bool))
    assert column == 0 and gain > 0.5
    frequent, _ = choose_question(
        np.array([0.5, 0.5]), answers, np.zeros(2, dtype=bool), "frequent"
    )
    assert frequent == 1


needs_general = pytest.mark.skipif(
    not (COMMITTED / "general" / "model.onnx").exists(), reason="committed general model not built"
)


@needs_general
def test_interview_on_the_general_model_never_repeats_and_stops():
    model = load_model(COMMITTED / "general")
    evidence = {"fever": "present"}
    patient = {"fever", "cough", "sore-throat", "nasal-congestion"}
    asked = []
    for turn in range(20):
        question, stop = model.next_question(
            evidence, age=30, sex="male", questions_asked=turn, max_questions=10
        )
        if stop:
            assert question is None
            break
        code = question.symptom.code
        assert code not in evidence and question.expected_gain > 0
        asked.append(code)
        evidence[code] = "present" if code in patient else "absent"
    assert len(asked) == len(set(asked)) <= 10
    _, stop = model.next_question(evidence, questions_asked=10, max_questions=10)
    assert stop
