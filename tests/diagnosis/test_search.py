"""Symptom search: Chinese, synonyms, pinyin initials and full pinyin, English; ranked."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from gpassist.diagnosis.search import EXACT, PREFIX, SUBSTRING, SymptomIndex, index_for

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Sym:
    code: str
    en: str
    zh: str
    synonyms: tuple[str, ...] = ()
    pinyin: str = ""
    initials: str = ""
    zh_status: str = "reviewed"


VOCABULARY = [
    Sym("fever", "Fever", "发热", ("发烧", "体温高", "pyrexia"), "fa re", "fr"),
    Sym("high-fever", "High fever", "高热", ("高烧",), "gao re", "gr"),
    Sym("cough", "Cough", "咳嗽", ("咳",), "ke sou", "ks"),
    Sym("dry-cough", "Dry cough", "干咳", (), "gan ke", "gk"),
    Sym("sore-throat", "Sore throat", "咽痛", ("嗓子疼", "throat pain"), "yan tong", "yt"),
    Sym("hemoptysis", "Coughing up blood", "咯血", ("咳血",), "ka xue", "kx"),
    Sym("fatigue", "Fatigue", "乏力", ("没劲",), "fa li", "fl"),
    # No pinyin in the file: computed from the Chinese name.
    Sym("headache", "Headache", "头痛", ()),
]


@pytest.fixture(scope="module")
def index() -> SymptomIndex:
    return SymptomIndex(VOCABULARY)


def found(index, q, limit=20):
    return [h.code for h in index.search(q, limit)]


def test_pinyin_initials_find_the_chinese_term(index):
    (hit, *_) = index.search("fr")
    assert (hit.code, hit.matched_field, hit.kind) == ("fever", "initials", EXACT)
    assert found(index, "yt") == ["sore-throat"]
    assert found(index, "tt") == ["headache"]  # initials computed with pypinyin


def test_full_pinyin_with_or_without_spaces(index):
    assert found(index, "fare")[0] == "fever"
    assert found(index, "fa re")[0] == "fever"
    assert found(index, "yantong") == ["sore-throat"]
    assert found(index, "KA XUE") == ["hemoptysis"]


def test_chinese_name_and_synonyms(index):
    assert found(index, "发热") == ["fever"]
    assert found(index, "发烧") == ["fever"]
    assert found(index, "嗓子疼") == ["sore-throat"]
    assert found(index, "咳血") == ["hemoptysis"]


def test_english_name_and_synonym(index):
    assert found(index, "fever") == ["fever", "high-fever"]  # exact before a later word
    assert found(index, "throat") == ["sore-throat"]
    assert found(index, "pyrexia") == ["fever"]


def test_exact_beats_prefix_beats_substring(index):
    hits = index.search("咳")
    # 咳 is a synonym of cough (exact), 咳血 of haemoptysis starts with it, 干咳 contains it.
    assert [h.code for h in hits] == ["cough", "hemoptysis", "dry-cough"]
    assert [h.kind for h in hits] == [EXACT, PREFIX, SUBSTRING]
    assert index.search("fa")[0].kind == PREFIX
    assert set(found(index, "fa")) == {"fever", "fatigue"}  # both pinyin prefixes


def test_initials_match_only_from_their_start(index):
    # "r" is inside "fr" and "gr": no initials match; 热 is still found by its pinyin syllable.
    hits = index.search("r")
    assert [h.matched_field for h in hits if h.matched_field == "initials"] == []
    assert {h.code for h in hits} >= {"fever", "high-fever"}


def test_short_latin_queries_match_starts_not_insides(index):
    assert found(index, "ks") == ["cough"]  # initials, not the "ks" inside "looks"
    assert found(index, "oat") == ["sore-throat"]  # three letters may match inside a word


def test_limit_and_empty_query(index):
    assert len(index.search("f", limit=1)) == 1
    assert index.search("   ") == []
    assert found(index, "zzzz") == []


def test_index_is_built_once_per_vocabulary():
    vocabulary = {s.code: s for s in VOCABULARY}
    assert index_for(vocabulary) is index_for(vocabulary)


def test_committed_benchmark_vocabulary_finds_fever_by_initials():
    path = ROOT / "gpassist" / "models" / "diagnosis" / "mz4" / "symptoms.csv"
    if not path.exists():
        pytest.skip("gpassist/models/diagnosis/mz4/symptoms.csv is not installed")
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    vocabulary = [
        Sym(
            r["code"],
            r["en"],
            r["zh"],
            tuple(filter(None, r["synonyms"].split(";"))),
            r["pinyin"],
            r["initials"],
        )
        for r in rows
    ]
    assert SymptomIndex(vocabulary).search("fr")[0].code == "发热"


def test_every_symptom_of_every_committed_model_is_found_by_its_names(installed):
    for name, model in installed.items():
        index = index_for(model.symptoms)
        for symptom in model.symptoms.values():
            for query in (symptom.zh, symptom.en):
                hits = index.search(query, limit=500)
                exact = [h.code for h in hits if h.kind == EXACT]
                assert symptom.code in exact, (name, symptom.code, query)
