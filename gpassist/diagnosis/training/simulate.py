"""Simulated patients for the generative ``general`` knowledge base, and its exact posterior.

The KB as arrays (``GenerativeTables``) lives in ``knowledge.py``: serving reads it too.

Generation (issue 3): a condition uniformly at random; then each of its symptoms independently
with P(symptom | condition) (symptoms the KB does not list for the condition never occur); the
age band and the sex drawn from the condition's odds normalised to sum to one.

The exact (Bayes-optimal) posterior of the same generator is
``P(c | x) ∝ P(c) Π_known P(x_s | c) · P(band | c) · P(sex | c)``; zero probabilities are taken as
1e-300 so that a contradicted condition falls below every possible one without NaNs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gpassist.diagnosis.knowledge import GenerativeTables

TINY = 1e-300


@dataclass(frozen=True)
class Patients:
    labels: np.ndarray  # (n,) condition index
    present: np.ndarray  # (n, S) bool
    bands: np.ndarray  # (n,) age band index
    sexes: np.ndarray  # (n,) sex index


def _draw_categorical(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    cumulative = probabilities.cumsum(axis=1)
    draws = rng.random((probabilities.shape[0], 1)) * cumulative[:, -1:]
    return np.minimum((draws >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def simulate(
    tables: GenerativeTables, n: int, rng: np.random.Generator, require_present: bool = False
) -> Patients:
    """``n`` patients; with ``require_present`` a patient with no present symptom is redrawn
    (the posterior of an accepted patient is unchanged: acceptance depends on x only)."""
    labels = rng.integers(0, len(tables.conditions), size=n)
    present = rng.random((n, len(tables.symptoms))) < tables.p[labels]
    if require_present:
        empty = ~present.any(axis=1)
        while empty.any():
            redo = np.flatnonzero(empty)
            labels[redo] = rng.integers(0, len(tables.conditions), size=redo.size)
            present[redo] = rng.random((redo.size, len(tables.symptoms))) < tables.p[labels[redo]]
            empty = ~present.any(axis=1)
    bands = _draw_categorical(tables.age[labels], rng)
    sexes = _draw_categorical(tables.sex[labels], rng)
    return Patients(labels, present, bands, sexes)


@dataclass(frozen=True)
class Masking:
    """How training hides known facts so the model is right mid-interview too.

    Half the patients keep every symptom known (the full protocol). For the other half a keep-rate
    q ~ Uniform(0.02, 1) is drawn per patient and each symptom stays known with probability q,
    independently of its value (missing at random, which is what the both-zero "unknown"
    encoding assumes). Age and sex are each hidden for 10 % of all patients."""

    full_share: float = 0.5
    min_keep: float = 0.02
    hide_demographics: float = 0.1


def mask(
    patients: Patients, rng: np.random.Generator, masking: Masking = Masking()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(known, bands, sexes) with hidden values as False / -1."""
    n, s = patients.present.shape
    keep = rng.uniform(masking.min_keep, 1.0, size=(n, 1))
    keep[rng.random((n, 1)) < masking.full_share] = 1.0
    known = rng.random((n, s)) < keep
    bands = np.where(rng.random(n) < masking.hide_demographics, -1, patients.bands)
    sexes = np.where(rng.random(n) < masking.hide_demographics, -1, patients.sexes)
    return known, bands, sexes


def bayes_log_posterior(
    tables: GenerativeTables,
    present: np.ndarray,
    known: np.ndarray,
    bands: np.ndarray,
    sexes: np.ndarray,
) -> np.ndarray:
    """(n, C) log P(c | evidence) under the generating KB with a uniform prior."""
    log_p = np.log(np.maximum(tables.p, TINY))
    log_q = np.log(np.maximum(1.0 - tables.p, TINY))
    is_present = (present & known).astype(float)
    is_absent = (~present & known).astype(float)
    scores = is_present @ log_p.T + is_absent @ log_q.T
    log_age = np.log(np.maximum(tables.age, TINY))
    log_sex = np.log(np.maximum(tables.sex, TINY))
    scores += np.where(bands[:, None] >= 0, log_age.T[np.maximum(bands, 0)], 0.0)
    scores += np.where(sexes[:, None] >= 0, log_sex.T[np.maximum(sexes, 0)], 0.0)
    scores -= scores.max(axis=1, keepdims=True)
    return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))


# -- the noisy county simulation (issue 13): what calibration and the metrics are measured on ----


@dataclass(frozen=True)
class Noise:
    """How simulated county patients differ from the KB's clean picture.

    - the condition is drawn from the county prior (``tables.priors``: the KB's prior tiers),
      age band and sex from the condition's odds;
    - a finding the condition explains is present with p_cs but **forgotten** (not reported)
      with probability ``forget``;
    - any finding is also reported through its **leak** (something else causes it) with the KB's
      leak_s × ``leak_scale``: the findings outside a condition's list, at the rate the KB states;
    - the doctor records every reported finding as present, asks about a few others and records
      them absent: each unreported finding is known-absent with probability q ~ U(``asked``)
      per patient; the rest are unknown. Age and sex are hidden for ``hide_demographics``.
    Patients with no present finding are redrawn (a consultation starts from a complaint)."""

    forget: float = 0.2
    leak_scale: float = 1.0
    asked: tuple[float, float] = (0.01, 0.1)
    hide_demographics: float = 0.1


@dataclass(frozen=True)
class NoisyPatients:
    labels: np.ndarray  # (n,)
    present: np.ndarray  # (n, S) reported present
    known: np.ndarray  # (n, S) present or recorded absent
    bands: np.ndarray  # (n,) -1 hidden
    sexes: np.ndarray  # (n,) -1 hidden

    @property
    def present_mean(self) -> float:
        return float(self.present.sum(axis=1).mean())


def _noisy_present(tables: GenerativeTables, labels, rng, noise: Noise) -> np.ndarray:
    shape = (labels.size, len(tables.symptoms))
    caused = rng.random(shape) < tables.p[labels] * (1.0 - noise.forget)
    leaked = rng.random(shape) < tables.leaks[None, :] * noise.leak_scale
    return caused | leaked


def noisy_patients(
    tables: GenerativeTables, n: int, rng: np.random.Generator, noise: Noise = Noise()
) -> NoisyPatients:
    labels = rng.choice(len(tables.conditions), size=n, p=tables.priors)
    present = _noisy_present(tables, labels, rng, noise)
    empty = ~present.any(axis=1)
    while empty.any():
        redo = np.flatnonzero(empty)
        labels[redo] = rng.choice(len(tables.conditions), size=redo.size, p=tables.priors)
        present[redo] = _noisy_present(tables, labels[redo], rng, noise)
        empty = ~present.any(axis=1)
    asked = rng.uniform(*noise.asked, size=(n, 1))
    known = present | (rng.random(present.shape) < asked)
    bands = _draw_categorical(tables.age[labels], rng)
    sexes = _draw_categorical(tables.sex[labels], rng)
    bands = np.where(rng.random(n) < noise.hide_demographics, -1, bands)
    sexes = np.where(rng.random(n) < noise.hide_demographics, -1, sexes)
    return NoisyPatients(labels, present, known, bands, sexes)
