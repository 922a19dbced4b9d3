"""Build the project's knowledge-base files for the diagnosis models from ../shared/data.

    .venv/bin/python tools/import_symcat.py [--data ../shared/data]
        [--out gpassist/models/diagnosis]

For ``general`` it writes ``evidence.csv`` (P(symptom | condition) = SymCat percent / 100),
``demographics.csv`` (SymCat age-band and sex odds), ``subsets.json`` (SymCat subset name lists,
carried as they are) and ``kb.yaml``. For the benchmark sets (dxy, mz4, mz10, mdd) it writes
``kb.yaml`` naming the training file and its sha256. Descriptions and remarks are not carried.

The names files (``symptoms.csv``, ``conditions.csv``) belong to the translation work: this tool
writes a provisional one (English names, zh = en, status machine, no ICD-10, urgency routine) ONLY
when none exists, and never overwrites one.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
AGE_BANDS = (
    "age-1-years",
    "age-1-4-years",
    "age-5-14-years",
    "age-15-29-years",
    "age-30-44-years",
    "age-45-59-years",
    "age-60-74-years",
    "age-75-years",
)
SEXES = ("sex-male", "sex-female")
SYMCAT_SOURCE = {
    "name": "SymCat",
    "url_or_citation": "symcat.com, derived from the US National Ambulatory Medical Care Survey; "
    "as copied in github.com/teliov/symcat-to-synthea",
    "licence": "no licence file; used in published research (Kao et al. AAAI 2018, REFUEL "
    "NeurIPS 2018, AARLC 2021); research use, to be cleared before clinical deployment",
    "what": "801 conditions, P(symptom | condition), age-band and sex odds",
}
SUBSETS_SOURCE = {
    "name": "AARLC disease subsets",
    "url_or_citation": "github.com/Yuanhy1997/Auto-Diagnosis-by-RL-and-Classification",
    "licence": "lists of condition names, carried as they are (see ../shared/data/README.md)",
    "what": "the 200/300/400 and common condition subsets of SymCat",
}
BENCHMARKS = {
    "dxy": {
        "title": {"zh": "Dxy 基准(5 种疾病)", "en": "Dxy benchmark (5 diseases)"},
        "citation": "Xu et al., End-to-End Knowledge-Routed Relational Dialogue System for "
        "Automatic Diagnosis, AAAI 2019",
        "what": "423 online consultations (Chinese), 5 diseases, 41 symptoms",
    },
    "mz4": {
        "title": {"zh": "MZ-4 基准(4 种儿科疾病)", "en": "MZ-4 benchmark (4 diseases)"},
        "citation": "Wei et al., Task-oriented Dialogue System for Automatic Diagnosis, ACL 2018",
        "what": "568 consultations (Chinese), 4 diseases, 66 symptoms",
    },
    "mz10": {
        "title": {"zh": "MZ-10 基准(10 种儿科疾病)", "en": "MZ-10 benchmark (10 diseases)"},
        "citation": "Chen et al., DxFormer: a decoupled automatic diagnostic system, "
        "Bioinformatics 2022",
        "what": "3,305 consultations (Chinese), 10 paediatric diseases, 316 symptom strings",
    },
    "mdd": {
        "title": {"zh": "MDD 基准(12 种疾病,英文)", "en": "MDD benchmark (12 diseases)"},
        "citation": "MTDiag (Medical Diagnosis Dataset)",
        "what": "1,912 consultations (English labels), 12 diseases, 116 symptoms",
    },
}
NAMES_NOTE = (
    "names, ICD-10 and urgency: see symptoms.csv / conditions.csv (zh_status, icd10_status)"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _write_if_absent(path: Path, header: list[str], rows: list[list]) -> None:
    if path.exists():
        print(f"kept existing {path.relative_to(REPO)}")
        return
    _write_csv(path, header, rows)
    print(f"wrote PROVISIONAL {path.relative_to(REPO)} (machine names; translation pending)")


def _write_yaml(path: Path, manifest: dict) -> None:
    text = yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False, width=100)
    path.write_text(text, encoding="utf-8")


SYMPTOM_HEADER = ["code", "en", "zh", "zh_status", "synonyms", "pinyin", "initials"]
CONDITION_HEADER = [
    "code",
    "en",
    "zh",
    "zh_status",
    "icd10",
    "icd10_status",
    "urgency",
    "urgency_basis",
]


def import_general(data: Path, out: Path) -> None:
    conditions = json.loads((data / "symcat/conditions.json").read_text(encoding="utf-8"))
    symptoms = json.loads((data / "symcat/symptoms.json").read_text(encoding="utf-8"))
    subsets = json.loads((data / "symcat/subsets.json").read_text(encoding="utf-8"))
    folder = out / "general"
    folder.mkdir(parents=True, exist_ok=True)
    evidence, demographics = [], []
    for slug in sorted(conditions):
        entry = conditions[slug]
        for symptom, fact in entry["symptoms"].items():
            evidence.append([slug, symptom, f"{fact['probability'] / 100:.2f}"])
        for band in AGE_BANDS:
            demographics.append([slug, band, f"{entry['age'][band]['odds']:g}"])
        for sex in SEXES:
            demographics.append([slug, sex, f"{entry['sex'][sex]['odds']:g}"])
    _write_csv(folder / "evidence.csv", ["condition", "symptom", "probability"], evidence)
    _write_csv(folder / "demographics.csv", ["condition", "factor", "odds"], demographics)
    (folder / "subsets.json").write_text(
        json.dumps(subsets, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    _write_yaml(
        folder / "kb.yaml",
        {
            "name": "general",
            "title": {"zh": "全科常见病(801 种)", "en": "General practice (801 conditions)"},
            "clinical": True,
            "kind": "generative",
            "version": "1.0.0",
            "sources": [SYMCAT_SOURCE, SUBSETS_SOURCE],
            "notes": NAMES_NOTE,
        },
    )
    _write_if_absent(
        folder / "symptoms.csv",
        SYMPTOM_HEADER,
        [[c, s["name"], s["name"], "machine", "", "", ""] for c, s in sorted(symptoms.items())],
    )
    _write_if_absent(
        folder / "conditions.csv",
        CONDITION_HEADER,
        [
            [
                c,
                e["condition_name"],
                e["condition_name"],
                "machine",
                "",
                "machine",
                "routine",
                "judgement",
            ]
            for c, e in sorted(conditions.items())
        ],
    )
    print(f"general: {len(conditions)} conditions, {len(evidence)} evidence rows")


def import_benchmark(data: Path, out: Path, name: str) -> None:
    train = data / "benchmarks" / name / "train.json"
    cases = json.loads(train.read_text(encoding="utf-8"))
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    info = BENCHMARKS[name]
    _write_yaml(
        folder / "kb.yaml",
        {
            "name": name,
            "title": info["title"],
            "clinical": False,
            "kind": "cases",
            "version": "1.0.0",
            "training": {
                "path": f"../shared/data/benchmarks/{name}/train.json",
                "sha256": sha256(train),
            },
            "sources": [
                {
                    "name": name,
                    "url_or_citation": info["citation"],
                    "licence": "research dataset, no licence file; research use only",
                    "what": info["what"],
                }
            ],
            "notes": "benchmark model for comparison with published work; never a clinical default",
        },
    )
    symptom_codes = sorted({s for c in cases for s in (*c["exp_sxs"], *c["imp_sxs"])})
    labels = sorted({c["label"] for c in cases})
    _write_if_absent(
        folder / "symptoms.csv",
        SYMPTOM_HEADER,
        [[s, s, s, "machine", "", "", ""] for s in symptom_codes],
    )
    _write_if_absent(
        folder / "conditions.csv",
        CONDITION_HEADER,
        [[c, c, c, "machine", "", "machine", "routine", "judgement"] for c in labels],
    )
    print(f"{name}: {len(cases)} cases, {len(labels)} labels, {len(symptom_codes)} symptoms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=REPO / "gpassist" / "models" / "diagnosis")
    args = parser.parse_args()
    import_general(args.data, args.out)
    for name in BENCHMARKS:
        import_benchmark(args.data, args.out, name)


if __name__ == "__main__":
    main()
