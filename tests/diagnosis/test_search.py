"""Symptom search: Chinese, synonyms, pinyin initials and full pinyin, English; ranked."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from gpassist.diagnosis.search import (
    EXACT,
    PREFIX,
    SUBSTRING,
    SymptomIndex,
    evidence_counts,
    index_for,
    narrower_codes,
    used_codes,
)

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


# --- codes the model uses first ----------------------------------------------------------------

PAIN = [
    Sym("chest-pain", "Chest pain", "胸痛", ("胸口疼",), "xiong tong", "xt"),
    Sym("sharp-chest-pain", "Sharp chest pain", "胸部刺痛", (), "xiong bu ci tong", "xbct"),
    Sym("burning-chest-pain", "Burning chest pain", "胸部烧灼痛", (), "", ""),
    Sym("chest-tightness", "Chest tightness", "胸闷", ("胸痛憋闷",), "xiong men", "xm"),
    Sym("pain", "Pain", "疼痛", (), "teng tong", "tt"),
    Sym("back-pain", "Back pain", "背痛", (), "bei tong", "bt"),
]


@pytest.fixture(scope="module")
def pain_index() -> SymptomIndex:
    symptoms = {s.code: s for s in PAIN}
    used = {"sharp-chest-pain", "burning-chest-pain", "chest-tightness", "back-pain"}
    counts = {"sharp-chest-pain": 115, "burning-chest-pain": 6, "back-pain": 110}
    return SymptomIndex(PAIN, used, narrower_codes(symptoms, used, counts))


def test_used_codes_rank_before_unused_whatever_the_match(pain_index):
    hits = pain_index.search("胸痛")
    assert [h.code for h in hits] == [
        "sharp-chest-pain",  # through chest-pain, most evidence rows first
        "burning-chest-pain",
        "chest-tightness",  # a used substring still beats the unused exact name
        "chest-pain",
    ]
    assert (hits[0].matched_field, hits[0].kind) == ("broader", EXACT)
    assert hits[-1].matched_field == "zh"


def test_narrower_codes_need_one_word_in_front_of_a_two_word_code():
    symptoms = {s.code: s for s in PAIN}
    used = {"sharp-chest-pain", "burning-chest-pain", "back-pain"}
    narrower = narrower_codes(symptoms, used, {"burning-chest-pain": 9})
    # pain is one word: it does not expand to every used pain of the body
    assert narrower == {"chest-pain": ("burning-chest-pain", "sharp-chest-pain")}


def test_used_codes_of_a_loaded_model_are_features_and_evidence(installed):
    general = installed["general"]
    used = used_codes(general)
    assert "sharp-chest-pain" in used and "fever" in used
    assert set(evidence_counts(general)) <= used


@pytest.mark.parametrize("word", ["胸痛", "腹痛", "xt", "chest pain"])
def test_common_words_find_a_code_the_general_model_uses_first(word, installed):
    general = installed["general"]
    used = used_codes(general)
    hits = index_for(general.symptoms, general).search(word)
    assert hits and hits[0].code in used, [h.code for h in hits[:5]]
    # every used hit comes before every unused one
    flags = [h.code in used for h in hits]
    assert flags == sorted(flags, reverse=True)


def test_the_search_endpoint_ranks_used_codes_first(api, installed):
    general = installed["general"]
    used = used_codes(general)
    for word in ("胸痛", "腹痛"):
        items = api.get(f"/api/v1/diagnosis/symptoms?q={word}", as_="doctor_a").get_json()["items"]
        assert items[0]["code"] in used and items[0]["matched"] in ("zh", "synonym", "broader")
    listing = api.get("/api/v1/diagnosis/symptoms?limit=500", as_="doctor_a").get_json()["items"]
    flags = [item["code"] in used for item in listing]
    assert flags == sorted(flags, reverse=True)
