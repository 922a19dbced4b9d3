"""Write the benchmark sets' knowledge-base manifests from ../shared/data.

    .venv/bin/python tools/import_symcat.py [--data ../shared/data]
        [--out gpassist/models/diagnosis]

For the benchmark sets (dxy, mz4, mz10, mdd) it writes ``kb.yaml`` naming the training file and
its sha256. The ``general`` knowledge base is built by ``tools/build_general_kb.py`` (SymCat with
the other sources and the curated files; docs/diagnosis-kb.md); this tool no longer writes it.

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
    for name in BENCHMARKS:
        import_benchmark(args.data, args.out, name)


if __name__ == "__main__":
    main()
