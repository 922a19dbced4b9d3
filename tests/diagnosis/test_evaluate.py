"""Evaluation arithmetic: the exact posterior of the generator and the summary figures."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gpassist.diagnosis.knowledge import GenerativeTables
from gpassist.diagnosis.training.evaluate import summarise
from gpassist.diagnosis.training.simulate import bayes_log_posterior


def _tables(p: np.ndarray) -> GenerativeTables:
    c, s = p.shape
    return GenerativeTables(
        tuple(f"c{i}" for i in range(c)),
        tuple(f"s{j}" for j in range(s)),
        p,
        np.full((c, 8), 1 / 8),
        np.full((c, 2), 1 / 2),
    )


kb_probabilities = arrays(np.float64, (4, 3), elements=st.floats(0.0, 1.0))


@given(kb_probabilities, arrays(bool, (5, 3)), arrays(bool, (5, 3)))
@settings(deadline=None)
def test_the_exact_posterior_is_a_distribution(p, present, known):
    bands = np.array([0, 3, -1, 7, 2])
    sexes = np.array([0, 1, -1, 1, 0])
    posterior = np.exp(bayes_log_posterior(_tables(p), present, known, bands, sexes))
    np.testing.assert_allclose(posterior.sum(axis=1), 1.0, atol=1e-9)


@given(kb_probabilities, arrays(np.float64, (8, 4), elements=st.floats(0, 1)))
@settings(deadline=None)
def test_no_classifier_beats_the_bayes_optimal_expected_accuracy(p, scores):
    """Enumerate every symptom vector of a 4-condition, 3-symptom KB: the expected accuracy of
    the exact posterior's argmax is at least that of any rule (here: random score tables)."""
    tables = _tables(p)
    vectors = np.array(list(itertools.product([False, True], repeat=3)))
    known = np.ones_like(vectors)
    unknown = -np.ones(len(vectors), dtype=int)
    # P(x | c) for every vector and condition
    likelihood = np.prod(np.where(vectors[:, None, :], p[None], 1 - p[None]), axis=2)
    joint = likelihood / 4  # uniform prior
    bayes = bayes_log_posterior(tables, vectors, known, unknown, unknown).argmax(axis=1)
    bayes_accuracy = joint[np.arange(8), bayes].sum()
    other_accuracy = joint[np.arange(8), scores.argmax(axis=1)].sum()
    assert bayes_accuracy >= other_accuracy - 1e-12


@given(
    arrays(np.float64, (6, 5), elements=st.floats(0.01, 1.0)),
    arrays(np.int64, 6, elements=st.integers(0, 4)),
)
def test_topk_figures_are_ordered(posteriors, truth):
    figures = summarise(posteriors, truth, [0] * 6, [])
    assert 0 <= figures["top1"] <= figures["top3"] <= figures["top5"] == 1.0
    assert 0 <= figures["macro_f1"] <= 1
