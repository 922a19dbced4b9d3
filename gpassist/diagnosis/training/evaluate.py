"""``gpassist diagnosis evaluate``: benchmark-format cases or simulated patients, two protocols.

Benchmark cases (``[{"exp_sxs": {...}, "imp_sxs": {...}, "label": ...}]``, "1" present, "0" absent,
"2" not sure → unknown):
- ``full``: the model sees explicit and implicit symptoms at once;
- ``interview``: it sees the explicit ones and asks up to ``max_turns`` questions through the same
  engine as the API (``interview.choose_question``/``should_stop``), each answered from the implicit
  symptoms (unknown when the case does not mention it), stopping early when confident.

Reported: ``n``, ``top1``/``top3``/``top5`` accuracy, ``macro_f1`` (top-1 predictions, over the
labels present in the cases), ``avg_turns`` (questions asked), ``symptom_recall`` (share of
each case's implicit symptoms — for simulated patients, its present symptoms — that the model
knew when it ranked: 1.0 in ``full``), ``unknown_symptoms`` (distinct codes in the cases outside
the model's vocabulary; they are dropped), ``unknown_labels`` (cases whose label the model does
not know; counted as wrong).

Simulated patients (``general`` only): fresh patients from the KB (``simulate.py``), age and sex
known. ``full`` knows every symptom; ``interview`` starts from one present symptom chosen at random
and answers every question truthfully. Patients with no present symptom are redrawn. With a
subset, patients come from the subset's conditions and the model's ranking is restricted to them
(renormalised), as the published subset figures were obtained. ``bayes_optimal_top1``/``top5``
are the exact posterior of the generating KB on the same patients with all symptoms known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from sklearn.metrics import f1_score

from gpassist.diagnosis.features import AGE_BANDS
from gpassist.diagnosis.interview import choose_question, should_stop
from gpassist.diagnosis.knowledge import generative_tables
from gpassist.diagnosis.runtime import DiagnosisModel
from gpassist.diagnosis.training.simulate import bayes_log_posterior, simulate

VALUE_STATES = {"1": "present", "0": "absent", "2": "unknown"}
SIMULATION_SEED = 20261128


def _states(symptoms: Mapping[str, str]) -> dict[str, str]:
    return {code: VALUE_STATES.get(str(value), "unknown") for code, value in symptoms.items()}


def run_interview(
    model: DiagnosisModel,
    evidence: dict[str, str],
    answer: Callable[[str], str],
    age: int | None,
    sex: str | None,
    max_turns: int,
    rows: np.ndarray | None = None,
    policy: str = "eig",
) -> tuple[np.ndarray, int, dict[str, str]]:
    """Ask until the engine stops; returns (posterior over ``rows``, turns, final evidence)."""
    answers = model.answers if rows is None else model.answers.restricted(rows)
    evidence = dict(evidence)
    turns = 0
    while True:
        posterior = model.posterior(evidence, age, sex)
        if rows is not None:
            posterior = posterior[rows] / posterior[rows].sum()
        column, gain = choose_question(posterior, answers, model.asked_mask(evidence), policy)
        best = None if column is None else gain
        if should_stop(posterior, turns, max_turns, best, model.stop_probability):
            return posterior, turns, evidence
        code = model.space.symptoms[column]
        evidence[code] = answer(code)
        turns += 1


def _topk_hits(posteriors: np.ndarray, truth: np.ndarray, k: int) -> np.ndarray:
    top = np.argsort(-posteriors, axis=1, kind="stable")[:, :k]
    return (top == truth[:, None]).any(axis=1)


def summarise(
    posteriors: np.ndarray,
    truth: np.ndarray,
    turns: list[int],
    recall: list[float],
    unknown_symptoms: int = 0,
    unknown_labels: int = 0,
) -> dict:
    """Metrics dict; ``truth`` is -1 for a label the model does not know."""
    n = len(truth)
    predicted = posteriors.argmax(axis=1) if n else np.zeros(0, dtype=int)
    known = sorted({int(t) for t in truth})
    return {
        "n": n,
        "top1": round(float(_topk_hits(posteriors, truth, 1).mean()), 4) if n else 0.0,
        "top3": round(float(_topk_hits(posteriors, truth, 3).mean()), 4) if n else 0.0,
        "top5": round(float(_topk_hits(posteriors, truth, 5).mean()), 4) if n else 0.0,
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=known, average="macro", zero_division=0)), 4
        )
        if n
        else 0.0,
        "avg_turns": round(float(np.mean(turns)), 2) if turns else 0.0,
        "symptom_recall": round(float(np.mean(recall)), 4) if recall else 1.0,
        "unknown_symptoms": unknown_symptoms,
        "unknown_labels": unknown_labels,
    }


def evaluate_cases(
    model: DiagnosisModel,
    cases: list[dict],
    protocol: str = "full",
    max_turns: int = 10,
    policy: str = "eig",
) -> dict:
    label_index = {code: i for i, code in enumerate(model.labels)}
    vocabulary = model.symptoms
    unknown_codes = {
        code
        for case in cases
        for code in (*case.get("exp_sxs", {}), *case.get("imp_sxs", {}))
        if code not in vocabulary
    }
    posteriors, truth, turns, recall = [], [], [], []
    for case in cases:
        explicit = {c: s for c, s in _states(case.get("exp_sxs", {})).items() if c in vocabulary}
        implicit = {c: s for c, s in _states(case.get("imp_sxs", {})).items() if c in vocabulary}
        truth.append(label_index.get(case["label"], -1))
        if protocol == "full":
            posteriors.append(model.posterior({**implicit, **explicit}))
            turns.append(0)
            continue
        posterior, asked, final = run_interview(
            model,
            explicit,
            lambda code, implicit=implicit: implicit.get(code, "unknown"),
            None,
            None,
            max_turns,
            policy=policy,
        )
        posteriors.append(posterior)
        turns.append(asked)
        if implicit:
            recall.append(sum(c in final for c in implicit) / len(implicit))
    truth_array = np.asarray(truth, dtype=int)
    matrix = np.asarray(posteriors) if posteriors else np.zeros((0, len(model.labels)))
    return summarise(
        matrix,
        truth_array,
        turns,
        recall if protocol == "interview" else [],
        unknown_symptoms=len(unknown_codes),
        unknown_labels=int((truth_array < 0).sum()),
    )


def evaluate_simulated(
    model: DiagnosisModel,
    n: int,
    protocol: str = "full",
    max_turns: int = 10,
    subset: str | None = None,
    seed: int = SIMULATION_SEED,
    policy: str = "eig",
) -> dict:
    """Metrics on ``n`` fresh simulated patients plus the Bayes-optimal figures for them."""
    kb = model.kb
    tables = generative_tables(kb)
    if tables.symptoms != model.space.symptoms:
        raise ValueError("the model's features do not match its knowledge base")
    codes = list(tables.conditions) if subset is None else sorted(kb.subsets[subset])
    tables = tables.restricted(codes)
    rows = np.array([model.labels.index(c) for c in codes])
    rng = np.random.default_rng(seed)
    patients = simulate(tables, n, rng, require_present=True)
    sex_names = ("male", "female")
    everything = np.ones_like(patients.present)
    bayes = bayes_log_posterior(
        tables, patients.present, everything, patients.bands, patients.sexes
    )
    posteriors, turns, recall = [], [], []
    if protocol == "full":
        encoded = model.space.encode_arrays(
            patients.present, everything, patients.bands, patients.sexes
        )
        matrix = model.probabilities_of(encoded)[:, rows]
        posteriors = matrix / matrix.sum(axis=1, keepdims=True)
        turns = [0] * n
    else:
        for i in range(n):
            present_columns = np.flatnonzero(patients.present[i])
            first = model.space.symptoms[int(rng.choice(present_columns))]
            has = set(model.space.symptoms[j] for j in present_columns)
            age = _representative_age(int(patients.bands[i]))
            posterior, asked, final = run_interview(
                model,
                {first: "present"},
                lambda code, has=has: "present" if code in has else "absent",
                age,
                sex_names[int(patients.sexes[i])],
                max_turns,
                rows=rows if subset is not None else None,
                policy=policy,
            )
            posteriors.append(posterior)
            turns.append(asked)
            recall.append(sum(final.get(c) == "present" for c in has) / len(has))
        posteriors = np.asarray(posteriors)
    result = summarise(
        posteriors, patients.labels, turns, recall if protocol == "interview" else []
    )
    result["bayes_optimal_top1"] = round(float(_topk_hits(bayes, patients.labels, 1).mean()), 4)
    result["bayes_optimal_top5"] = round(float(_topk_hits(bayes, patients.labels, 5).mean()), 4)
    result["conditions"] = len(codes)
    result["seed"] = seed
    return result


def _representative_age(band: int) -> int:
    """An age in years inside SymCat band ``band`` (the engine takes ages, bands are internal)."""
    _, low, high = AGE_BANDS[band]
    return (low + min(high, 90)) // 2


def evaluate_noisy_interview(model: DiagnosisModel, n: int, seed: int = SIMULATION_SEED) -> dict:
    """Interview on ``n`` noisy county patients (``simulate.noisy_patients``): the engine starts
    from one reported finding and asks; each answer is the patient's report (present if reported,
    else absent — the forgetful and leaky patient answers as they reported)."""
    from gpassist.diagnosis.training.simulate import noisy_patients

    tables = generative_tables(model.kb)
    if tables.symptoms != model.space.symptoms:
        raise ValueError("the model's features do not match its knowledge base")
    rng = np.random.default_rng(seed)
    patients = noisy_patients(tables, n, rng)
    sex_names = ("male", "female")
    posteriors, turns, recall = [], [], []
    for i in range(n):
        columns = np.flatnonzero(patients.present[i])
        first = model.space.symptoms[int(rng.choice(columns))]
        has = {model.space.symptoms[j] for j in columns}
        band, sex = int(patients.bands[i]), int(patients.sexes[i])
        posterior, asked, final = run_interview(
            model,
            {first: "present"},
            lambda code, has=has: "present" if code in has else "absent",
            _representative_age(band) if band >= 0 else None,
            sex_names[sex] if sex >= 0 else None,
            10,
        )
        posteriors.append(posterior)
        turns.append(asked)
        recall.append(sum(final.get(c) == "present" for c in has) / len(has))
    labels = np.array([model.labels.index(tables.conditions[k]) for k in patients.labels])
    result = summarise(np.asarray(posteriors), labels, turns, recall)
    result["seed"] = seed
    return result
