"""Serving the committed diagnosis models with onnxruntime (contract: diagnosis-runtime brief).

A model folder holds the knowledge base (kb.yaml, symptoms.csv, conditions.csv, …) and the
training artifacts (model.onnx, metadata.json, metrics.json; likelihoods.json for benchmark sets).
``load_model`` reads them once per process; ``rank`` and ``next_question`` are the one engine used
by the HTTP API and by ``gpassist diagnosis evaluate``.

For ``general`` every P(present | condition) below is the noisy-OR one, 1 − (1 − leak)(1 − p)
(``knowledge.GenerativeTables.noisy_or``), the same the ONNX model was built from.

Out of scope (``Ranking.out_of_scope``): some symptom is present and either fewer than half of the
present symptoms are used by the model's features, or the leading condition hardly explains them.
``general``: a present finding is explained when P(present | leading) is at least twice its leak
(the rate of a condition that does not explain it); flagged when none is explained, or when at
least two are not and they are at least as many as the explained ones. Benchmark sets: the
geometric mean of P(present | leading) over the used present symptoms is below 0.02.

Multipliers (``rank(..., multipliers=)``): the county's season and region factors per condition
(``epidemiology.py``); the posterior becomes ∝ ONNX probability × multiplier, which is the same as
adding log multiplier to the model's log prior (the softmax's normaliser cancels).

Supporting evidence of a condition c: the present symptoms s whose likelihood ratio
P(s | c) / Σ_c' π(c') P(s | c') is above 1, strongest first (at most five); computed only for the
first ``top_k`` conditions of the ranking when ``top_k`` is given (the rest get none).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gpassist.diagnosis.features import SEXES, STATES, FeatureSpace
from gpassist.diagnosis.interview import (
    STOP_PROBABILITY,
    AnswerModel,
    choose_question,
    should_stop,
)
from gpassist.diagnosis.knowledge import (
    Condition,
    KnowledgeBase,
    Symptom,
    finding_leak,
    generative_tables,
    load_kb,
)
from gpassist.inference import inference_session, predict_proba

__all__ = [
    "DEFAULT_MODEL",
    "Condition",
    "DiagnosisModel",
    "Evidence",
    "Question",
    "RankedCondition",
    "Ranking",
    "Symptom",
    "UnknownSymptoms",
    "load_model",
    "load_models",
    "model_root",
]

log = logging.getLogger(__name__)
Evidence = Mapping[str, str]
DEFAULT_MODEL = "general"
MAX_SUPPORTING = 5
EXPLAINED_LIFT = 2.0  # general
EXPLAINED_PROBABILITY = 0.02  # benchmark sets


@dataclass(frozen=True)
class RankedCondition:
    condition: Condition
    probability: float
    supporting: tuple[str, ...]


class RankedList(Sequence):
    """Every condition, most probable first; an entry is built when it is read, so a caller
    that shows the top 10 does not pay for the other 800 (issue 13, item 10)."""

    def __init__(self, model: DiagnosisModel, posterior, order, supporting) -> None:
        self._model, self._posterior, self._order = model, posterior, order
        self._supporting = supporting

    def __len__(self) -> int:
        return len(self._order)

    def _entry(self, i: int) -> RankedCondition:
        k = int(self._order[i])
        condition = self._model.conditions[self._model.labels[k]]
        return RankedCondition(condition, float(self._posterior[k]), self._supporting.get(k, ()))

    def __getitem__(self, index):
        if isinstance(index, slice):
            return tuple(self._entry(i) for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._entry(index)


@dataclass(frozen=True)
class Ranking:
    ranked: Sequence[RankedCondition]
    out_of_scope: bool
    scope_notes: tuple[dict, ...]
    ignored: tuple[str, ...]


@dataclass(frozen=True)
class Question:
    symptom: Symptom
    expected_gain: float  # bits of expected information gain (see interview.py)


class UnknownSymptoms(ValueError):
    def __init__(self, codes: tuple[str, ...]):
        super().__init__(f"unknown symptom codes: {', '.join(codes)}")
        self.codes = codes


class DiagnosisModel:
    """One knowledge base plus its ONNX classifier and interview answer model."""

    def __init__(
        self,
        kb: KnowledgeBase,
        metadata: dict,
        onnx_bytes: bytes,
        answers: AnswerModel,
        metrics: dict | None = None,
    ):
        self.kb = kb
        self.name = kb.name
        self.version = kb.version
        self.clinical = kb.clinical
        self.title = kb.title
        self.metadata = metadata
        self.metrics = metrics or {}
        self.space = FeatureSpace.from_names(metadata["features"])
        self.labels = tuple(metadata["labels"])
        self.symptoms: dict[str, Symptom] = dict(kb.symptoms)
        for code in self.space.symptoms:  # a feature missing from the names file still works
            self.symptoms.setdefault(code, Symptom(code, code, code, "machine", (), "", ""))
        self.conditions: dict[str, Condition] = {
            code: kb.conditions.get(code)
            or Condition(code, code, code, "machine", None, "machine", "routine")
            for code in self.labels
        }
        self.session = inference_session(onnx_bytes)
        self.answers = answers
        self._columns = self.space.index()
        # general: P(present | a condition that does not explain it), the leaks
        self.leaks = leaks_of(kb, self.space.symptoms)
        self.stop_probability = float(
            metadata.get("interview", {}).get("stop_probability", STOP_PROBABILITY)
        )
        if answers.symptoms != self.space.symptoms:
            raise ValueError("answer model and feature symptoms differ")

    # -- inference -----------------------------------------------------------------------------

    def check(self, evidence: Evidence, age: int | None, sex: str | None) -> None:
        unknown = tuple(sorted(code for code in evidence if code not in self.symptoms))
        if unknown:
            raise UnknownSymptoms(unknown)
        for code, state in evidence.items():
            if state not in STATES:
                raise ValueError(f"evidence.{code}: {state!r} is not one of {STATES}")
        if age is not None and not 0 <= age <= 120:
            raise ValueError("age must be 0-120 years")
        if sex is not None and sex not in SEXES:
            raise ValueError("sex must be male or female")

    def encode(
        self, evidence: Evidence, age: int | None = None, sex: str | None = None
    ) -> np.ndarray:
        """(1, width) float32 row in the committed feature order."""
        return self.space.encode(evidence, age, sex, self._columns)[None, :]

    def probabilities_of(self, rows: np.ndarray) -> np.ndarray:
        return predict_proba(self.session, rows)

    def posterior(
        self, evidence: Evidence, age: int | None = None, sex: str | None = None
    ) -> np.ndarray:
        """(C,) probabilities in label order (no checks; the evaluation loop uses this)."""
        return self.probabilities_of(self.encode(evidence, age, sex))[0]

    def rank(
        self,
        evidence: Evidence,
        age: int | None = None,
        sex: str | None = None,
        multipliers: np.ndarray | None = None,
        top_k: int | None = None,
    ) -> Ranking:
        """Every condition, most probable first. ``multipliers`` (label order) reweight the
        posterior (season, region); ``top_k`` limits the supporting-evidence work."""
        self.check(evidence, age, sex)
        posterior = self.posterior(evidence, age, sex)
        if multipliers is not None:
            posterior = posterior * multipliers
            posterior = posterior / posterior.sum()
        present = [c for c, s in evidence.items() if s == "present"]
        used = [c for c in present if c in self._columns]
        ignored = tuple(sorted(c for c in evidence if c not in self._columns))
        order = np.argsort(-posterior, kind="stable")
        explained = order if top_k is None else order[:top_k]
        supporting = self._supporting(posterior, used, explained)
        ranked = RankedList(self, posterior, order, supporting)
        notes = self._scope_notes(posterior, present, used)
        return Ranking(ranked, bool(notes), tuple(notes), ignored)

    def _supporting(
        self, posterior: np.ndarray, used: list[str], rows: np.ndarray
    ) -> dict[int, tuple[str, ...]]:
        if not used:
            return {}
        columns = [self._columns[c] for c in used]
        likelihood = np.maximum(self.answers.present[:, columns], 1e-12)  # (C, k)
        mixture = posterior @ likelihood
        lift = np.log(likelihood[rows]) - np.log(mixture)
        result = {}
        for i, row in zip(rows, lift, strict=True):
            order = [j for j in np.argsort(-row, kind="stable") if row[j] > 0]
            result[int(i)] = tuple(used[j] for j in order[:MAX_SUPPORTING])
        return result

    def _scope_notes(
        self, posterior: np.ndarray, present: list[str], used: list[str]
    ) -> list[dict]:
        if not present:
            return []
        if 2 * len(used) < len(present):
            return [
                {
                    "zh": f"{len(present) - len(used)}/{len(present)} 个阳性症状"
                    "不在本模型的知识范围内,结果仅供参考",
                    "en": f"{len(present) - len(used)} of {len(present)} present symptoms are "
                    "outside what this model knows; treat the ranking with caution",
                }
            ]
        top = int(np.argmax(posterior))
        columns = [self._columns[c] for c in used]
        likelihoods = self.answers.present[top, columns]
        if self.leaks is not None:
            unexplained = int((likelihoods < EXPLAINED_LIFT * self.leaks[columns]).sum())
            explained = len(used) - unexplained
            hardly = explained == 0 or (unexplained >= 2 and unexplained >= explained)
        else:  # benchmark sets: geometric mean of P(present | leading) below 0.02
            typical = float(np.exp(np.log(np.maximum(likelihoods, 1e-6)).mean()))
            unexplained = int((likelihoods < EXPLAINED_PROBABILITY).sum())
            hardly = typical < EXPLAINED_PROBABILITY
        if used and hardly:
            return [
                {
                    "zh": f"首位疾病难以解释 {unexplained}/{len(used)} 个阳性症状,"
                    "病例可能超出本模型范围",
                    "en": f"the leading condition hardly explains {unexplained} of {len(used)} "
                    "present symptoms; the case may be outside this model's scope",
                }
            ]
        return []

    # -- interview ----------------------------------------------------------------------------

    def asked_mask(self, evidence: Evidence) -> np.ndarray:
        asked = np.zeros(self.space.n_symptoms, dtype=bool)
        for code in evidence:
            column = self._columns.get(code)
            if column is not None:
                asked[column] = True
        return asked

    def next_question(
        self,
        evidence: Evidence,
        age: int | None = None,
        sex: str | None = None,
        questions_asked: int = 0,
        max_questions: int = 10,
    ) -> tuple[Question | None, bool]:
        self.check(evidence, age, sex)
        posterior = self.posterior(evidence, age, sex)
        column, gain = choose_question(posterior, self.answers, self.asked_mask(evidence))
        stop = should_stop(
            posterior,
            questions_asked,
            max_questions,
            None if column is None else gain,
            self.stop_probability,
        )
        if column is None:
            return None, True
        question = Question(self.symptoms[self.space.symptoms[column]], gain)
        return (None if stop else question), stop


# -- loading -------------------------------------------------------------------------------------


def model_root() -> Path:
    from gpassist.config import PACKAGED_MODELS, load_settings

    configured = load_settings().get("DIAGNOSIS_MODELS")
    return Path(configured) if configured else PACKAGED_MODELS / "diagnosis"


def answer_model_for(kb: KnowledgeBase, folder: Path, labels: tuple[str, ...]) -> AnswerModel:
    """general: the KB's noisy-OR P(symptom | condition), the model's own likelihood (frequency:
    prior-weighted); benchmark sets: likelihoods.json from training."""
    if kb.kind == "generative":
        tables = generative_tables(kb)
        rows = [tables.conditions.index(c) for c in labels]
        p = tables.noisy_or()[rows]
        return AnswerModel(tables.symptoms, p, 1.0 - p, tables.priors[rows] @ p)
    data = json.loads((folder / "likelihoods.json").read_text(encoding="utf-8"))
    rows = [data["conditions"].index(c) for c in labels]
    return AnswerModel(
        tuple(data["symptoms"]),
        np.asarray(data["present"], dtype=float)[rows],
        np.asarray(data["absent"], dtype=float)[rows],
        np.asarray(data["frequency"], dtype=float),
    )


def leaks_of(kb: KnowledgeBase, symptoms: tuple[str, ...]) -> np.ndarray | None:
    if kb.kind != "generative":
        return None
    return np.array([finding_leak(kb.symptoms.get(code)) for code in symptoms])


_CACHE: dict[Path, DiagnosisModel] = {}
_CACHE_LOCK = threading.Lock()


def load_model(folder: Path) -> DiagnosisModel:
    """The model in ``folder``, loaded once per process (same folder → same object)."""
    key = Path(folder).resolve()
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = _read_model(key)
        return _CACHE[key]


def _read_model(folder: Path) -> DiagnosisModel:
    kb = load_kb(folder)
    metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    metrics_path = folder / "metrics.json"
    metrics = json.loads(metrics_path.read_text(encoding="utf-8")) if metrics_path.exists() else {}
    answers = answer_model_for(kb, folder, tuple(metadata["labels"]))
    return DiagnosisModel(kb, metadata, (folder / "model.onnx").read_bytes(), answers, metrics)


def load_models(root: Path | None = None) -> dict[str, DiagnosisModel]:
    root = Path(root) if root is not None else model_root()
    models = {}
    for folder in sorted(p for p in root.iterdir() if (p / "model.onnx").exists()):
        model = load_model(folder)
        models[model.name] = model
    return models
