"""Tiny knowledge bases written to a temporary folder, for the ML tests (not the committed ones)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import yaml

from gpassist.diagnosis.features import AGE_BAND_NAMES
from gpassist.diagnosis.training import GeneralPlan

REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "gpassist" / "models" / "diagnosis"
TINY_PLAN = GeneralPlan(calibration=400, evaluation=400, heldout_interview_patients=20)

# condition -> {symptom: P(symptom | condition)}; ages skew so demographics matter
TINY_EVIDENCE = {
    "cold": {"cough": 0.8, "runny-nose": 0.9, "fever": 0.3, "sore-throat": 0.5},
    "flu": {"cough": 0.7, "fever": 0.95, "aches": 0.8, "sore-throat": 0.3},
    "gastritis": {"stomach-pain": 0.9, "nausea": 0.6, "vomiting": 0.3},
    "migraine": {"headache": 0.95, "nausea": 0.5, "dizziness": 0.3},
    "uti": {"burning-urine": 0.9, "fever": 0.2, "stomach-pain": 0.2},
}
SYMPTOMS = sorted({s for facts in TINY_EVIDENCE.values() for s in facts} | {"rash"})


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _names(folder: Path, symptoms: list[str], conditions: list[str]) -> None:
    _write_csv(
        folder / "symptoms.csv",
        ["code", "en", "zh", "zh_status", "synonyms", "pinyin", "initials"],
        [[s, s, s, "machine", "", "", ""] for s in symptoms],
    )
    _write_csv(
        folder / "conditions.csv",
        ["code", "en", "zh", "zh_status", "icd10", "icd10_status", "urgency", "urgency_basis"],
        [[c, c, c, "machine", "", "machine", "routine", "judgement"] for c in conditions],
    )


def write_tiny_general(folder: Path) -> Path:
    """A 5-condition generative KB ('rash' is a symptom no condition lists)."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": "tiny",
        "title": {"zh": "测试", "en": "tiny"},
        "clinical": True,
        "kind": "generative",
        "version": "0.1",
        "sources": [{"name": "test", "url_or_citation": "-", "licence": "-", "what": "-"}],
    }
    (folder / "kb.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    _names(folder, SYMPTOMS, sorted(TINY_EVIDENCE))
    _write_csv(
        folder / "evidence.csv",
        ["condition", "symptom", "probability"],
        [[c, s, p] for c, facts in sorted(TINY_EVIDENCE.items()) for s, p in facts.items()],
    )
    rows = []
    for i, condition in enumerate(sorted(TINY_EVIDENCE)):
        for j, band in enumerate(AGE_BAND_NAMES):
            rows.append([condition, band, 1.0 + ((i + j) % 3)])
        rows += [[condition, "sex-male", 1.0 + i % 2], [condition, "sex-female", 2.0 - i % 2]]
    _write_csv(folder / "demographics.csv", ["condition", "factor", "odds"], rows)
    subsets = {"source": "test", "subsets": {"200": ["cold", "flu", "migraine"]}}
    (folder / "subsets.json").write_text(json.dumps(subsets), encoding="utf-8")
    return folder


def tiny_cases(n_per_label: int = 12) -> list[dict]:
    """Deterministic benchmark-format cases (explicit + implicit symptoms, some "2" unsure)."""
    cases = []
    for label, facts in sorted(TINY_EVIDENCE.items()):
        symptoms = sorted(facts)
        for k in range(n_per_label):
            first = symptoms[k % len(symptoms)]
            implicit = {
                s: ("1" if (k + i) % 4 else "0") for i, s in enumerate(symptoms) if s != first
            }
            if k % 5 == 0:
                implicit["rash"] = "2"
            cases.append({"exp_sxs": {first: "1"}, "imp_sxs": implicit, "label": label})
    return cases


def write_tiny_cases(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    cases = tiny_cases()
    train = folder / "train.json"
    train.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    manifest = {
        "name": "tinycases",
        "title": {"zh": "测试", "en": "tiny cases"},
        "clinical": False,
        "kind": "cases",
        "version": "0.1",
        "training": {"path": str(train), "sha256": "-"},
        "sources": [{"name": "test", "url_or_citation": "-", "licence": "-", "what": "-"}],
    }
    (folder / "kb.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    symptoms = sorted({s for c in cases for s in (*c["exp_sxs"], *c["imp_sxs"])})
    _names(folder, symptoms, sorted({c["label"] for c in cases}))
    return folder
