"""The clipped noisy-OR model of ``general``: its maths on small random KBs (no retraining of the
committed model)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import GenerativeTables
from gpassist.diagnosis.training.noisy_or import (
    MAX_FACTOR,
    NoisyOrClassifier,
    finding_weights,
    fit_temperature,
    reliability,
    softmax,
)
from gpassist.diagnosis.training.simulate import Noise, noisy_patients

probability = st.floats(0.0, 0.99)
leak = st.floats(0.001, 0.3)


@st.composite
def tables(draw, conditions=3, findings=4) -> GenerativeTables:
    p = np.array(
        [[draw(probability) for _ in range(findings)] for _ in range(conditions)], dtype=float
    )
    leaks = np.array([draw(leak) for _ in range(findings)])
    prior = np.array([draw(st.floats(0.01, 1.0)) for _ in range(conditions)])
    uniform_age = np.full((conditions, 8), 1 / 8)
    uniform_sex = np.full((conditions, 2), 0.5)
    return GenerativeTables(
        tuple(f"c{i}" for i in range(conditions)),
        tuple(f"s{j}" for j in range(findings)),
        p,
        uniform_age,
        uniform_sex,
        leaks,
        prior / prior.sum(),
    )


def model(t: GenerativeTables, max_factor: float = MAX_FACTOR) -> NoisyOrClassifier:
    return NoisyOrClassifier(t, max_factor, temperature=1.0).fit(None, None)


def posterior(t, estimator, evidence: dict[int, str]) -> np.ndarray:
    space = FeatureSpace(t.symptoms, demographics=True)
    row = space.encode({f"s{j}": state for j, state in evidence.items()})
    return estimator.predict_proba(row[None, :])[0]


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(0, 3), st.sampled_from(["present", "absent"]))
def test_one_finding_moves_no_condition_by_more_than_the_bound(t, j, state):
    """Odds of any condition against any other change by at most F² for one finding (each is
    within ×F of the finding's leak-only baseline)."""
    estimator = model(t)
    before = posterior(t, estimator, {})
    after = posterior(t, estimator, {j: state})
    ratio = (after / before)[:, None] / (after / before)[None, :]
    assert ratio.max() <= MAX_FACTOR**2 * (1 + 1e-9)
    up, down = finding_weights(t)
    assert np.abs(up).max() <= math.log(MAX_FACTOR) + 1e-12
    assert np.abs(down).max() <= math.log(MAX_FACTOR) + 1e-12


def test_the_weights_are_the_noisy_or_likelihood_ratios_until_the_bound():
    t = GenerativeTables(
        ("a", "b"),
        ("s",),
        np.array([[0.5], [0.0]]),
        np.full((2, 8), 1 / 8),
        np.full((2, 2), 0.5),
        np.array([0.1]),
        np.array([0.5, 0.5]),
    )
    up, down = finding_weights(t)
    present_a = 1 - 0.9 * 0.5  # 0.55
    assert up[0, 0] == pytest.approx(math.log(present_a / 0.1))  # ×5.5, under the bound
    assert down[0, 0] == pytest.approx(math.log((1 - present_a) / 0.9))
    assert up[1, 0] == pytest.approx(0.0) and down[1, 0] == pytest.approx(0.0)  # leak only
    capped = finding_weights(t, max_factor=2.0)[0]
    assert capped[0, 0] == pytest.approx(math.log(2.0))


@settings(max_examples=40, deadline=None)
@given(tables(), st.integers(0, 3))
def test_absent_is_not_unknown_and_the_posterior_sums_to_one(t, j):
    estimator = model(t)
    unknown = posterior(t, estimator, {})
    absent = posterior(t, estimator, {j: "absent"})
    assert unknown.sum() == pytest.approx(1.0) and absent.sum() == pytest.approx(1.0)
    # unknown is the prior (demographics unknown too)
    assert unknown == pytest.approx(t.priors, rel=1e-6)
    if np.ptp(t.p[:, j]) > 0.05:  # conditions differ on the finding: denying it says something
        assert not np.allclose(absent, unknown)


@settings(max_examples=40, deadline=None)
@given(tables(), st.integers(0, 3), st.integers(0, 2))
def test_a_supporting_finding_never_lowers_the_condition_it_supports_most(t, j, c):
    """Adding a present finding for which c has the largest P(present | c) cannot lower c."""
    estimator = model(t)
    assume_best = t.p[c, j] >= t.p[:, j].max()
    before = posterior(t, estimator, {k: "absent" for k in range(4) if k != j})
    after = posterior(t, estimator, {**{k: "absent" for k in range(4) if k != j}, j: "present"})
    if assume_best:
        assert after[c] >= before[c] - 1e-12


def test_the_temperature_calibrates_a_sharpened_model():
    """Scores made twice too confident get T ≈ 2 back, and answers ≥ 0.9 are then right ≥ 90 %."""
    rng = np.random.default_rng(0)
    n, k = 4000, 5
    true_logits = rng.normal(0, 2.0, size=(n, k))
    y = np.array([rng.choice(k, p=p) for p in softmax(true_logits)])
    temperature = fit_temperature(2 * true_logits, y)
    assert 1.7 < temperature < 2.3
    figures = reliability(softmax(2 * true_logits / temperature), y)
    assert figures["ece"] < 0.05
    assert figures["accuracy_at_0_9"] is None or figures["accuracy_at_0_9"] >= 0.9


def test_noisy_patients_come_from_the_prior_and_report_leaks():
    t = GenerativeTables(
        ("common", "rare"),
        ("a", "b", "c"),
        np.array([[0.9, 0.0, 0.0], [0.0, 0.9, 0.0]]),
        np.full((2, 8), 1 / 8),
        np.full((2, 2), 0.5),
        np.array([0.01, 0.01, 0.2]),
        np.array([0.9, 0.1]),
    )
    patients = noisy_patients(t, 5000, np.random.default_rng(1), Noise(forget=0.0))
    assert 0.87 < (patients.labels == 0).mean() < 0.93
    assert patients.present.any(axis=1).all()  # a consultation starts from a complaint
    assert patients.known[patients.present].all()  # what is reported is known
    # c is explained by neither condition: it appears only through its leak
    assert 0.15 < patients.present[:, 2].mean() < 0.3


def test_the_exported_linear_model_is_the_estimator():
    t = GenerativeTables(
        ("x", "y"),
        ("a", "b"),
        np.array([[0.8, 0.1], [0.2, 0.7]]),
        np.full((2, 8), 1 / 8),
        np.full((2, 2), 0.5),
        np.array([0.05, 0.05]),
        np.array([0.7, 0.3]),
    )
    space = FeatureSpace(t.symptoms, demographics=True)
    rng = np.random.default_rng(2)
    patients = noisy_patients(t, 500, rng)
    rows = space.encode_arrays(patients.present, patients.known, patients.bands, patients.sexes)
    estimator = NoisyOrClassifier(t).fit(rows, patients.labels)
    linear = estimator.to_logistic()
    assert np.allclose(linear.predict_proba(rows), estimator.predict_proba(rows))
