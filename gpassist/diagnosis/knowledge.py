"""Load a diagnosis knowledge base from ``gpassist/models/diagnosis/<name>/``.

Format: docs in the KB brief.

A knowledge base is the project's own files: ``kb.yaml`` (manifest), ``symptoms.csv`` and
``conditions.csv`` (names, ICD-10, urgency), and for the generative ``general`` model
``evidence.csv`` (P(symptom | condition) and its source key), ``demographics.csv`` (age-band and
sex odds), ``aliases.csv`` (old or convenience codes -> current codes) and ``subsets.json``.
Benchmark ("cases") kinds name their training file in the manifest.

Issue 13 columns are optional, so older and benchmark KBs load unchanged: ``symptoms.csv``
``kind`` (symptom | sign | exposure | history | lab), ``leak`` (P(reported | not explained by the
condition); None = the model's default) and ``leak_source``; ``conditions.csv`` ``prior_tier``,
``prior_source`` and ``regional`` (everywhere | endemic-cn | absent-cn); ``evidence.csv``
``source``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from gpassist.diagnosis.features import AGE_BAND_NAMES, SEXES

REPO_ROOT = Path(__file__).resolve().parents[2]
URGENCIES = ("emergency", "urgent", "routine")
FINDING_KINDS = ("symptom", "sign", "exposure", "history", "lab")
PRIOR_TIERS = ("very-common", "common", "uncommon", "rare", "very-rare")
REGIONAL = ("everywhere", "endemic-cn", "absent-cn")
CARE = ("village", "refer")

# The leak a finding gets when its ``leak`` cell is empty: P(finding reported | the patient's
# condition does not explain it). Order-of-magnitude defaults (judgement, docs/diagnosis.md): an
# ordinary complaint is volunteered by about one patient in a hundred who has some other illness,
# an examination sign or a laboratory result by one in two hundred, an exposure by one in fifty,
# a known chronic diagnosis by one in twenty. The general KB states its own leaks.
DEFAULT_LEAK = {"symptom": 0.01, "sign": 0.005, "exposure": 0.02, "history": 0.05, "lab": 0.005}
# Base rate of a condition per ``prior_tier``: the KB's tiers are shares of village/township
# clinic visits (very-common ≥ 5 %, common 0.5-5 %, uncommon 0.05-0.5 %, rare 0.005-0.05 %,
# very-rare < 0.005 %; curated/priors.yaml); each number is about the geometric middle of its
# band, the same weights the KB uses for its case-mix leaks (symptoms.csv leak_source). Only
# ratios matter: the prior is normalised over the KB's conditions. No tier: ``DEFAULT_TIER``
# (a KB without tiers gets a uniform prior).
TIER_WEIGHTS = {
    "very-common": 0.08,
    "common": 0.015,
    "uncommon": 0.002,
    "rare": 0.0002,
    "very-rare": 0.00001,
}
DEFAULT_TIER = "uncommon"


class KnowledgeBaseError(ValueError):
    """A knowledge-base folder is missing a file or holds an inconsistent one."""


@dataclass(frozen=True)
class Symptom:
    code: str
    en: str
    zh: str
    zh_status: str
    synonyms: tuple[str, ...]
    pinyin: str
    initials: str
    kind: str = "symptom"
    leak: float | None = None
    leak_source: str = ""


@dataclass(frozen=True)
class Condition:
    code: str
    en: str
    zh: str
    zh_status: str
    icd10: str | None
    icd10_status: str
    urgency: str
    # None when the KB states no tier (benchmark KBs): the model then uses a uniform prior
    prior_tier: str | None = None
    prior_source: str = ""
    regional: str = "everywhere"
    care: str = "village"  # refer: not managed at a village clinic alone, even when stable


@dataclass(frozen=True)
class KnowledgeBase:
    folder: Path
    manifest: dict
    symptoms: dict[str, Symptom]
    conditions: dict[str, Condition]
    # generative kind only: condition -> symptom -> P(symptom | condition)
    evidence: dict[str, dict[str, float]] = field(default_factory=dict)
    # generative kind only: condition -> factor (age band / sex-*) -> odds
    demographics: dict[str, dict[str, float]] = field(default_factory=dict)
    subsets: dict[str, list[str]] = field(default_factory=dict)
    # generative kind only: condition -> symptom -> source key of kb.yaml `sources:` ("" = unstated)
    evidence_sources: dict[str, dict[str, str]] = field(default_factory=dict)
    # (kind, old code) -> current code; kind is "symptom" or "condition"
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def clinical(self) -> bool:
        return bool(self.manifest.get("clinical", False))

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    @property
    def title(self) -> dict:
        return dict(self.manifest["title"])

    def training_path(self) -> Path:
        """The cases file of a benchmark KB, resolved against the repository root."""
        return (REPO_ROOT / self.manifest["training"]["path"]).resolve()

    def source_files(self) -> list[Path]:
        names = ("kb.yaml", "symptoms.csv", "conditions.csv", "evidence.csv", "demographics.csv")
        return [self.folder / n for n in names if (self.folder / n).exists()]

    def source_keys(self) -> set[str]:
        """The keys of the manifest's ``sources:`` (entries without a key are not citable)."""
        return {s["key"] for s in self.manifest.get("sources", []) if s.get("key")}

    def resolve(self, kind: str, code: str) -> str:
        """The current code for ``code`` (itself when it is current or unknown)."""
        return self.aliases.get((kind, code), code)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.exists():
        raise KnowledgeBaseError(f"{path.name} is missing in {path.parent}")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _choice(row: dict[str, str], column: str, allowed: tuple[str, ...], default):
    value = (row.get(column) or "").strip() or default
    if value is not None and value not in allowed:
        raise KnowledgeBaseError(f"{row['code']}: {column} {value!r} (expected one of {allowed})")
    return value


def _probability(text: str | None, what: str) -> float | None:
    if text is None or not text.strip():
        return None
    value = float(text)
    if not 0 < value <= 1:
        raise KnowledgeBaseError(f"{what}: probability {value} outside (0, 1]")
    return value


def _symptom(row: dict[str, str]) -> Symptom:
    synonyms = tuple(s.strip() for s in (row.get("synonyms") or "").split(";") if s.strip())
    return Symptom(
        code=row["code"],
        en=row["en"],
        zh=row["zh"] or row["en"],
        zh_status=row.get("zh_status") or "machine",
        synonyms=synonyms,
        pinyin=row.get("pinyin") or "",
        initials=row.get("initials") or "",
        kind=_choice(row, "kind", FINDING_KINDS, "symptom"),
        leak=_probability(row.get("leak"), f"symptoms.csv {row['code']} leak"),
        leak_source=(row.get("leak_source") or "").strip(),
    )


def _condition(row: dict[str, str]) -> Condition:
    urgency = (row.get("urgency") or "routine").strip()
    if urgency not in URGENCIES:
        raise KnowledgeBaseError(f"conditions.csv {row['code']}: urgency {urgency!r}")
    return Condition(
        code=row["code"],
        en=row["en"],
        zh=row["zh"] or row["en"],
        zh_status=row.get("zh_status") or "machine",
        icd10=(row.get("icd10") or "").strip() or None,
        icd10_status=row.get("icd10_status") or "machine",
        urgency=urgency,
        prior_tier=_choice(row, "prior_tier", PRIOR_TIERS, None),
        prior_source=(row.get("prior_source") or "").strip(),
        regional=_choice(row, "regional", REGIONAL, "everywhere"),
        care=_choice(row, "care", CARE, "village"),
    )


def load_kb(folder: Path) -> KnowledgeBase:
    folder = Path(folder)
    manifest_path = folder / "kb.yaml"
    if not manifest_path.exists():
        raise KnowledgeBaseError(f"kb.yaml is missing in {folder}")
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    symptoms = {row["code"]: _symptom(row) for row in _rows(folder / "symptoms.csv")}
    conditions = {row["code"]: _condition(row) for row in _rows(folder / "conditions.csv")}
    kb = KnowledgeBase(folder=folder, manifest=manifest, symptoms=symptoms, conditions=conditions)
    _load_aliases(kb)
    if manifest["kind"] == "generative":
        _load_generative(kb)
    return kb


def _load_aliases(kb: KnowledgeBase) -> None:
    """``aliases.csv`` (optional): kind,old_code,new_code; every alias must name a current code."""
    path = kb.folder / "aliases.csv"
    if not path.exists():
        return
    known = {"symptom": kb.symptoms, "condition": kb.conditions}
    for row in _rows(path):
        kind, old, new = row["kind"], row["old_code"], row["new_code"]
        if kind not in known or new not in known[kind]:
            raise KnowledgeBaseError(f"aliases.csv: {kind} {old} -> unknown {new}")
        if old in known[kind]:
            raise KnowledgeBaseError(f"aliases.csv: {old} is a current {kind} code, not an alias")
        kb.aliases[(kind, old)] = new


def _load_generative(kb: KnowledgeBase) -> None:
    for row in _rows(kb.folder / "evidence.csv"):
        condition, symptom = row["condition"], row["symptom"]
        if condition not in kb.conditions or symptom not in kb.symptoms:
            raise KnowledgeBaseError(f"evidence.csv names unknown {condition}/{symptom}")
        probability = _probability(row["probability"], f"evidence.csv {condition}/{symptom}")
        if probability is None:
            raise KnowledgeBaseError(f"evidence.csv {condition}/{symptom}: no probability")
        kb.evidence.setdefault(condition, {})[symptom] = probability
        kb.evidence_sources.setdefault(condition, {})[symptom] = (row.get("source") or "").strip()
    for row in _rows(kb.folder / "demographics.csv"):
        kb.demographics.setdefault(row["condition"], {})[row["factor"]] = float(row["odds"])
    subsets = kb.folder / "subsets.json"
    if subsets.exists():
        kb.subsets.update(json.loads(subsets.read_text(encoding="utf-8"))["subsets"])


def load_cases(path: Path) -> list[dict]:
    """A benchmark cases file: ``[{"exp_sxs": {...}, "imp_sxs": {...}, "label": ...}]``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


# -- the generative KB as arrays (serving's answer model, simulation) ------------------------


@dataclass(frozen=True)
class GenerativeTables:
    """A generative KB as arrays in sorted condition and symptom order."""

    conditions: tuple[str, ...]
    symptoms: tuple[str, ...]
    p: np.ndarray  # (C, S) P(present | condition) as the KB lists it (0 when unlisted)
    age: np.ndarray  # (C, 8) P(band | condition)
    sex: np.ndarray  # (C, 2) P(sex | condition)
    leak: np.ndarray | None = None  # (S,) P(reported | not explained); None: no leak (old KBs)
    prior: np.ndarray | None = None  # (C,) county base rate, sums to 1; None: uniform

    @property
    def leaks(self) -> np.ndarray:
        return self.leak if self.leak is not None else np.zeros(len(self.symptoms))

    @property
    def priors(self) -> np.ndarray:
        if self.prior is not None:
            return self.prior
        return np.full(len(self.conditions), 1.0 / len(self.conditions))

    def noisy_or(self) -> np.ndarray:
        """(C, S) P(finding present | condition) = 1 − (1 − leak_s)(1 − p_cs): the condition
        causes the finding with p_cs, or something else does with the leak."""
        return 1.0 - (1.0 - self.leaks[None, :]) * (1.0 - self.p)

    def restricted(self, codes: list[str]) -> GenerativeTables:
        rows = [self.conditions.index(c) for c in codes]
        prior = None if self.prior is None else self.prior[rows] / self.prior[rows].sum()
        return GenerativeTables(
            tuple(codes),
            self.symptoms,
            self.p[rows],
            self.age[rows],
            self.sex[rows],
            self.leak,
            prior,
        )


def _normalised(odds: np.ndarray) -> np.ndarray:
    totals = odds.sum(axis=1, keepdims=True)
    uniform = np.full_like(odds, 1.0 / odds.shape[1])
    return np.where(totals > 0, odds / np.where(totals > 0, totals, 1.0), uniform)


def generative_tables(kb: KnowledgeBase) -> GenerativeTables:
    """P(symptom | condition) and the age-band and sex odds of ``kb`` (normalised; a condition
    without odds gets a uniform row). The service's interview answer model and the simulator
    both read these."""
    conditions = tuple(sorted(kb.evidence))
    symptoms = tuple(sorted({s for facts in kb.evidence.values() for s in facts}))
    column = {s: i for i, s in enumerate(symptoms)}
    p = np.zeros((len(conditions), len(symptoms)))
    for row, condition in enumerate(conditions):
        for symptom, probability in kb.evidence[condition].items():
            p[row, column[symptom]] = probability
    demographics = [kb.demographics.get(c, {}) for c in conditions]
    age = np.array([[d.get(b, 0.0) for b in AGE_BAND_NAMES] for d in demographics])
    sex = np.array([[d.get(f"sex-{s}", 0.0) for s in SEXES] for d in demographics])
    leak = np.array([finding_leak(kb.symptoms.get(s)) for s in symptoms])
    tiers = np.array([TIER_WEIGHTS[_tier(kb, c)] for c in conditions])
    return GenerativeTables(
        conditions, symptoms, p, _normalised(age), _normalised(sex), leak, tiers / tiers.sum()
    )


def finding_leak(symptom: Symptom | None) -> float:
    """The finding's leak: its own, or its kind's default."""
    if symptom is None:
        return DEFAULT_LEAK["symptom"]
    return symptom.leak if symptom.leak is not None else DEFAULT_LEAK[symptom.kind]


def _tier(kb: KnowledgeBase, code: str) -> str:
    condition = kb.conditions.get(code)
    tier = condition.prior_tier if condition is not None else None
    return tier or DEFAULT_TIER
