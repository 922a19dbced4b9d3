"""The blind textbook cases (tests/data/tcm-cases-blind.json): written from the textbooks without
looking at the knowledge base's findings, the engine or the first case set, so that they stay an
honest held-out yardstick for 辨证. They measure, never tune. This checks the file's contract only:
the record format, and gold labels that name a disease and one of its syndromes in the knowledge
base (the syndrome's own name, not an alias)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm import knowledge

REPO_ROOT = Path(__file__).resolve().parents[2]
BLIND = REPO_ROOT / "tests" / "data" / "tcm-cases-blind.json"
TUNED = REPO_ROOT / "tests" / "data" / "tcm-cases.json"
KB = PACKAGED_MODELS / "tcm" / "primary-care"

TEXT_KEYS = ("性别", "年龄", "主诉", "症状", "中医望闻切诊", "病史", "体格检查", "辅助检查")
KEYS = ("id", *TEXT_KEYS, "疾病", "证型", "处方", "source")
ID = re.compile(r"tcm-blind-(?P<code>[a-z]+)-\d{2}")

pytestmark = pytest.mark.skipif(not (KB / "kb.yaml").exists(), reason="no packaged knowledge base")


@pytest.fixture(scope="module")
def cases() -> list[dict]:
    return json.loads(BLIND.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def kb():
    return knowledge.load(KB)


def test_every_case_has_every_key_filled_and_nothing_else(cases):
    for case in cases:
        assert set(case) == set(KEYS), case.get("id")
        for key in KEYS:
            assert isinstance(case[key], str) and case[key].strip(), (case["id"], key)
        assert case["性别"] in ("男", "女"), case["id"]
        assert case["年龄"].isdigit() and int(case["年龄"]) < 110, case["id"]


def test_every_case_records_a_tongue_and_a_pulse_or_an_infants_finger_vein(cases):
    for case in cases:
        findings = case["中医望闻切诊"]
        assert "舌" in findings, case["id"]
        assert "脉" in findings or "指纹" in findings, case["id"]


def test_ids_are_unique_and_carry_the_code_of_their_gold_disease(cases, kb):
    ids = [case["id"] for case in cases]
    assert len(ids) == len(set(ids))
    for case in cases:
        match = ID.fullmatch(case["id"])
        assert match, case["id"]
        disease = kb.by_term(case["疾病"])
        assert disease is not None and disease.code == match["code"], case["id"]


def test_gold_labels_are_a_knowledge_base_disease_and_one_of_its_syndromes(cases, kb):
    for case in cases:
        disease = kb.by_term(case["疾病"])
        assert disease is not None, (case["id"], case["疾病"])
        names = {syndrome.name.zh for syndrome in disease.syndromes}
        assert case["证型"] in names, (case["id"], case["证型"])


def test_every_case_cites_a_textbook_and_its_chapter(cases):
    for case in cases:
        source = case["source"]
        assert re.match(r"《中医[^》]+》", source), case["id"]
        assert len(source.split("》", 1)[1].strip()) > 4, case["id"]


def test_enough_cases_over_enough_diseases(cases):
    per_disease = Counter(case["疾病"] for case in cases)
    assert len(cases) >= 120
    assert len(per_disease) >= 40
    assert min(per_disease.values()) >= 2, per_disease


def test_no_case_repeats_the_findings_of_a_case_used_while_tuning(cases):
    tuned = json.loads(TUNED.read_text(encoding="utf-8"))
    seen = {case["症状"] for case in tuned}
    assert [case["id"] for case in cases if case["症状"] in seen] == []
