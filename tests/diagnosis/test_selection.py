"""Benchmark model selection: repeated cross-validation, the one-sd rule, the batch interview."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import BernoulliNB

from gpassist.diagnosis import interview
from gpassist.diagnosis.knowledge import load_kb
from gpassist.diagnosis.training import cases as training_cases
from gpassist.diagnosis.training.estimators import CASES_CANDIDATES, Candidate, exportable
from gpassist.diagnosis.training.evaluate import evaluate_cases, run_interview
from gpassist.diagnosis.training.export import check_parity, to_onnx_bytes
from gpassist.diagnosis.training.selection import (
    batch_gains,
    batch_interview,
    case_matrix,
    choose_within_one_sd,
    repeated_folds,
    summary,
)

from .fixtures_ml import tiny_cases, write_tiny_cases

GOOD = Candidate("bernoulli_nb", {"alpha": 0.3})
# smoothing so strong that every symptom is a coin flip for every label: only the prior is left
BLIND = Candidate("bernoulli_nb", {"alpha": 1e6})


def _setup():
    cases = tiny_cases()
    space = training_cases.cases_space(cases)
    labels = tuple(sorted({c["label"] for c in cases}))
    return cases, space, labels


def _result(name: str, mean: float, spread: float) -> dict:
    return {"candidate": name, "score": {"mean": mean, "sd": 0.1, "sd_of_repeat_means": spread}}


def test_cross_validation_prefers_the_informative_candidate_and_repeats_with_a_seed():
    cases, space, labels = _setup()
    first, folds = training_cases.cross_validate([BLIND, GOOD], space, labels, cases, seed=5)
    again, _ = training_cases.cross_validate([BLIND, GOOD], space, labels, cases, seed=5)
    assert first == again
    assert folds["splits"] == 5 and folds["repeats"] == 5 and len(folds["folds"]) == 25
    blind, good = first
    assert good["score"]["mean"] > blind["score"]["mean"] + 0.3
    for figures in (good["top1_full"], good["top1_interview"], good["score"]):
        assert set(figures) == {"mean", "sd", "sd_of_repeat_means"}
        assert figures["sd"] >= 0 and 0 <= figures["mean"] <= 1
    chosen = choose_within_one_sd(first, lambda r: 0)
    assert chosen["candidate"] == GOOD.label()


def test_different_seeds_give_different_folds():
    labels = np.repeat(np.arange(3), 10)
    a = [val.tolist() for _, _, val in repeated_folds(labels, seed=1)]
    b = [val.tolist() for _, _, val in repeated_folds(labels, seed=2)]
    assert a != b
    assert a == [val.tolist() for _, _, val in repeated_folds(labels, seed=1)]


def test_folds_shrink_to_the_smallest_label_but_never_below_two():
    labels = np.array([0] * 10 + [1] * 3)
    folds = repeated_folds(labels, seed=0, splits=5, repeats=2)
    assert len(folds) == 6  # 3 splits x 2 repeats
    assert len(repeated_folds(np.array([0] * 5 + [1] * 2), seed=0, repeats=1)) == 2


def test_one_sd_rule_takes_the_simpler_candidate_within_one_sd_of_the_best():
    simple, complex_ = _result("simple", 0.80, 0.01), _result("complex", 0.805, 0.01)
    order = {"simple": 0, "complex": 1}
    assert choose_within_one_sd([complex_, simple], lambda r: order[r["candidate"]]) is simple
    # more than one sd behind: the better one wins although it is more complex
    behind = _result("simple", 0.78, 0.01)
    assert choose_within_one_sd([complex_, behind], lambda r: order[r["candidate"]]) is complex_
    # equally simple: the higher mean
    twin = _result("twin", 0.79, 0.01)
    chosen = choose_within_one_sd([twin, complex_, simple], lambda r: 0)
    assert chosen is complex_


def test_candidate_complexity_orders_families_and_regularisation():
    ordered = sorted(CASES_CANDIDATES, key=Candidate.complexity)
    families = [c.name for c in ordered]
    assert families.index("linear_svm_calibrated") > families.index("logistic_regression")
    assert families[-1] == "soft_vote_nb_lr"
    nb = [c.params["alpha"] for c in ordered if c.name == "bernoulli_nb"]
    assert nb == sorted(nb, reverse=True)  # more smoothing is simpler
    lr = [c.params["C"] for c in ordered if c.name == "logistic_regression"]
    assert lr == sorted(lr)  # stronger regularisation (smaller C) is simpler


def test_summary_gives_the_spread_of_folds_and_of_repeat_means():
    result = summary([0.5, 0.7, 0.6, 0.8], [0, 0, 1, 1])
    assert result["mean"] == 0.65
    assert result["sd"] == pytest.approx(np.std([0.5, 0.7, 0.6, 0.8], ddof=1), abs=1e-4)
    assert result["sd_of_repeat_means"] == pytest.approx(np.std([0.6, 0.7], ddof=1), abs=1e-4)


def test_batch_gains_equal_the_engine_for_each_posterior():
    rng = np.random.default_rng(0)
    answers = interview.AnswerModel(
        tuple("abcdefg"),
        rng.uniform(0.01, 0.9, (6, 7)),
        rng.uniform(0.01, 0.09, (6, 7)),
        rng.random(7),
    )
    posteriors = rng.dirichlet(np.full(6, 0.3), size=20)
    posteriors[0] = [1 - 5e-5, 1e-5, 1e-5, 1e-5, 1e-5, 1e-5]  # the leading set cuts the tail
    batch = batch_gains(posteriors, answers)
    for row, posterior in zip(batch, posteriors, strict=True):
        np.testing.assert_allclose(row, interview.expected_gains(posterior, answers), atol=1e-9)


@pytest.mark.parametrize(("stop", "policy"), [(0.8, "eig"), (1.01, "eig"), (0.9, "frequent")])
def test_batch_interview_matches_the_one_case_engine(tmp_path, stop, policy):
    """The selection's interview is the service's: same questions, same posteriors."""
    cases, space, labels = _setup()
    kb = load_kb(write_tiny_cases(tmp_path / "tinycases"))
    fit, held = cases[::2], cases[1::2]
    rows, y = training_cases.case_rows(space, fit, np.random.default_rng(0), copies=1)
    estimator = GOOD.build(space, 0).fit(rows, y)
    model = training_cases.in_memory_model(kb, space, labels, estimator, fit, stop)
    matrix = case_matrix(space.symptoms, held, training_cases._case_states)
    answers = training_cases.answer_model(space, labels, fit)
    posteriors, turns, _ = batch_interview(
        estimator.predict_proba, answers, matrix, stop, policy=policy
    )
    assert turns.sum() > 0  # questions were asked
    for i, case in enumerate(held):
        explicit, implicit = training_cases._case_states(case)
        posterior, asked, _ = run_interview(
            model,
            explicit,
            lambda code, implicit=implicit: implicit.get(code, "unknown"),
            None,
            None,
            10,
            policy=policy,
        )
        assert asked == turns[i]
        np.testing.assert_allclose(posterior, posteriors[i], atol=1e-5)  # float32 ONNX
    truth = np.array([labels.index(c["label"]) for c in held])
    full = evaluate_cases(model, held, "full")
    predicted = estimator.predict_proba(matrix.full()).argmax(axis=1)
    assert full["top1"] == pytest.approx((predicted == truth).mean(), abs=1e-4)


@pytest.mark.parametrize(
    "candidate",
    [
        Candidate("linear_svm_calibrated", {"C": 0.1}),
        Candidate("soft_vote_nb_lr", {"nb_alpha": 0.3, "C": 0.1}),
    ],
    ids=lambda c: c.name,
)
def test_svm_and_soft_vote_export_with_parity(candidate):
    cases, space, _ = _setup()
    rows, y = training_cases.case_rows(space, cases, np.random.default_rng(1), copies=1)
    estimator = candidate.build(space, 0).fit(rows, y)
    onnx_bytes = to_onnx_bytes(exportable(estimator), space.width)
    assert check_parity(estimator, onnx_bytes, rows) <= 1e-5


def test_soft_vote_is_the_mean_of_its_members():
    cases, space, _ = _setup()
    rows, y = training_cases.case_rows(space, cases, np.random.default_rng(1), copies=0)
    vote = Candidate("soft_vote_nb_lr", {"nb_alpha": 1.0, "C": 0.3}).build(space, 0).fit(rows, y)
    nb = BernoulliNB(alpha=1.0).fit(rows, y)
    lr = LogisticRegression(C=0.3, max_iter=300, random_state=0).fit(rows, y)
    expected = (nb.predict_proba(rows) + lr.predict_proba(rows)) / 2
    np.testing.assert_allclose(vote.predict_proba(rows), expected, atol=1e-9)
