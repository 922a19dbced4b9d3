"""The textbook cases (tests/data/tcm-cases.json, issue 16): written by hand from the textbooks'
syndromes as a village doctor would record a patient, in the TCM-TBOSD record format. They
measure, never train. Their disease and syndrome labels are GB/T 16751.1/.2-2021 terms, carried in
tests/data/tcm-case-terms.json (CI has no ../shared/data); beside the repository the list itself is
checked against the standards' files."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from gpassist.tcm.training.data import labelled, read_records

REPO_ROOT = Path(__file__).resolve().parents[2]
CASES = REPO_ROOT / "tests" / "data" / "tcm-cases.json"
TERMS = REPO_ROOT / "tests" / "data" / "tcm-case-terms.json"
STANDARDS = REPO_ROOT.parent / "shared" / "data" / "tcm-standards"

TEXT_KEYS = ("性别", "年龄", "主诉", "症状", "中医望闻切诊", "病史", "体格检查", "辅助检查")
LABEL_KEYS = ("疾病", "证型")
OPTIONAL = ("处方",)
# what a village day is made of: these get more cases than the rest
COMMON = ("感冒", "咳嗽病", "胃痛", "泄泻病", "眩晕病", "头痛")


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return read_records(CASES)


@pytest.fixture(scope="module")
def terms() -> dict:
    return json.loads(TERMS.read_text(encoding="utf-8"))


def test_every_case_has_the_record_format_and_nothing_else(cases):
    allowed = {"id", "source", *TEXT_KEYS, *LABEL_KEYS, *OPTIONAL}
    for case in cases:
        assert set(case) - allowed == set(), case["id"]
        for key in ("id", "source", *TEXT_KEYS, *LABEL_KEYS):
            assert isinstance(case.get(key), str) and case[key].strip(), (case.get("id"), key)
        assert case["性别"] in ("男", "女"), case["id"]
        assert case["年龄"].isdigit() and int(case["年龄"]) < 110, case["id"]
        assert isinstance(case.get("处方", ""), str), case["id"]


def test_every_case_records_a_tongue_and_a_pulse_or_an_infants_finger_vein(cases):
    for case in cases:
        findings = case["中医望闻切诊"]
        assert "舌" in findings, case["id"]
        assert "脉" in findings or "指纹" in findings, case["id"]


def test_ids_are_unique_and_name_their_disease(cases):
    ids = [c["id"] for c in cases]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"tcm-case-[a-z-]+-\d{2}", i) for i in ids)


def test_enough_cases_over_enough_diseases_with_the_common_ones_weighted(cases):
    per_disease = Counter(c["疾病"] for c in cases)
    assert len(cases) >= 150
    assert len(per_disease) >= 40
    assert min(per_disease.values()) >= 3, per_disease
    for disease in COMMON:
        assert per_disease[disease] >= 6, disease


def test_every_case_cites_a_textbook_and_its_chapter(cases):
    for case in cases:
        source = case["source"]
        assert re.match(r"《中医[^》]+》", source), case["id"]
        # the chapter path after the book: at least 病证·syndrome or a named section
        assert len(source.split("》", 1)[1].strip()) > 4, case["id"]


def test_labels_are_the_terms_listed_from_the_standards(cases, terms):
    diseases, syndromes = terms["diseases"], terms["syndromes"]
    for case in cases:
        assert case["疾病"] in diseases, case["id"]
        for syndrome in case["证型"].split("|"):
            assert syndrome in syndromes, (case["id"], syndrome)


def test_the_file_is_read_by_the_evaluation_as_any_training_file(cases):
    data = labelled(cases)
    assert len(data.diseases) == len(cases)
    assert all(data.syndromes)
    assert all(any(data.tokenised[i].values()) for i in range(len(cases)))


def _standard_terms(name: str) -> set[str]:
    with (STANDARDS / name).open(encoding="utf-8") as f:
        return {row["term"] for row in csv.DictReader(f)}


@pytest.mark.skipif(not STANDARDS.is_dir(), reason="../shared/data is not beside the repository")
def test_the_term_list_matches_the_standards(terms):
    diseases = _standard_terms("gbt16751-1-2021_diseases.csv")
    syndromes = _standard_terms("gbt16751-2-2021_syndromes.csv")
    for label, entry in terms["diseases"].items():
        # a label is the standard's term, or a TCM-TBOSD label naming its standard term
        assert entry["gbt16751_1"] in diseases, label
        assert label == entry["gbt16751_1"] or entry["note"], label
    for label, entry in terms["syndromes"].items():
        assert entry["gbt16751_2"] in syndromes, label
        assert label == entry["gbt16751_2"] or entry["note"], label
    for textbook, term in terms["textbook_to_gbt16751_2"].items():
        assert term in syndromes, textbook
