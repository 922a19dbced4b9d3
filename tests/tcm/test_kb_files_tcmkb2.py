"""The TCM knowledge-base files of helper tcmkb2 (13 internal-medicine diseases) keep the issue-16
contract: the keys, unique codes, the findings and treatment a syndrome needs, and only patent
medicines that exist in the county catalog. Self-contained: reads the YAML files, not the engine."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "gpassist" / "models" / "tcm" / "primary-care"
CATALOG_FILES = [
    ROOT / "clinics" / "demo-county" / "drugs.yaml",
    ROOT / "clinics" / "demo-county" / "drugs" / "neml-2018.yaml",
]
CODES = [
    "zhongfeng",
    "bumei",
    "xinji",
    "xiongbi",
    "xinshuai",
    "shuizhong",
    "linzheng",
    "xiaoke",
    "yaotong",
    "bizheng",
    "yuzheng",
    "xulao",
    "hanzheng",
]
# The TCM-TBOSD diseases of this list keep their record names, so the two models combine.
TBOSD_TERMS = {"xinji": "心悸病", "xiongbi": "胸痹心痛病", "xinshuai": "心衰病"}
DISEASE_KEYS = {
    "code",
    "name",
    "term",
    "aliases",
    "gbt15657",
    "department",
    "icd10",
    "source",
    "status",
    "syndromes",
}
SYNDROME_KEYS = {
    "code", "name", "aliases", "main", "secondary", "tongue", "coating", "pulse",
    "principle", "formula", "patent_medicines", "source", "status",
}  # fmt: skip
OPTIONAL_SYNDROME_KEYS = {"against", "referral", "stage", "medicine_notes"}
DEPARTMENTS = {"内科", "妇科", "儿科", "外科", "皮肤科", "五官科", "骨伤科"}


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def diseases() -> dict[str, dict]:
    return {code: load(KB / "diseases" / f"{code}.yaml") for code in CODES}


@pytest.fixture(scope="module")
def catalog() -> dict[str, dict]:
    return {d["code"]: d for f in CATALOG_FILES for d in load(f)["drugs"]}


@pytest.fixture(scope="module")
def source_keys() -> set[str]:
    return {s["key"] for s in load(KB / "kb.yaml")["sources"]}


def bilingual(value) -> bool:
    return isinstance(value, dict) and bool(value.get("zh")) and bool(value.get("en"))


@pytest.mark.parametrize("code", CODES)
def test_disease_file_keeps_the_contract(code, diseases, source_keys):
    d = diseases[code]
    assert set(d) == DISEASE_KEYS
    assert d["code"] == code
    assert bilingual(d["name"]) and d["term"]
    assert d["department"] in DEPARTMENTS
    assert d["status"] in {"machine", "reviewed"}
    assert d["source"]["ref"] in source_keys and d["source"]["where"]
    assert isinstance(d["icd10"], list) and d["icd10"]
    assert d["gbt15657"] is None or d["gbt15657"].startswith("A")
    assert TBOSD_TERMS.get(code, d["term"]) == d["term"]


@pytest.mark.parametrize("code", CODES)
def test_every_syndrome_has_findings_and_treatment(code, diseases, source_keys):
    syndromes = diseases[code]["syndromes"]
    assert len(syndromes) >= 3
    codes = [s["code"] for s in syndromes]
    names = [s["name"]["zh"] for s in syndromes]
    assert len(set(codes)) == len(codes), "syndrome codes repeat"
    assert len(set(names)) == len(names), "syndrome names repeat"
    for s in syndromes:
        assert SYNDROME_KEYS <= set(s) <= SYNDROME_KEYS | OPTIONAL_SYNDROME_KEYS, s["code"]
        assert bilingual(s["name"]) and s["name"]["zh"].endswith("证"), s["code"]
        for key in ("main", "tongue", "pulse"):
            assert s[key] and all(isinstance(x, str) and x for x in s[key]), (s["code"], key)
        for key in ("secondary", "coating", "aliases", "patent_medicines"):
            assert isinstance(s[key], list), (s["code"], key)
        assert all(p.startswith("脉") for p in s["pulse"]), s["code"]
        assert bilingual(s["principle"]) and bilingual(s["formula"]), s["code"]
        assert s["status"] in {"machine", "reviewed"}
        assert s["source"]["ref"] in source_keys and s["source"]["where"]


def test_codes_are_unique_slugs(diseases):
    for d in diseases.values():
        for s in d["syndromes"]:
            assert s["code"] == s["code"].lower() and " " not in s["code"]


@pytest.mark.parametrize("code", CODES)
def test_patent_medicines_exist_in_the_county_catalog(code, diseases, catalog):
    for s in diseases[code]["syndromes"]:
        for drug in s["patent_medicines"]:
            assert drug in catalog, f"{code}/{s['code']}: {drug} is not in the catalog"
            assert catalog[drug]["kind"] == "chinese_patent", drug


def test_a_patent_medicine_hiding_a_western_drug_is_flagged(diseases):
    # 消渴丸 contains glibenclamide: wherever it is suggested, the note must say so.
    seen = 0
    for d in diseases.values():
        for s in d["syndromes"]:
            if "xiaoke-pill" in s["patent_medicines"]:
                seen += 1
                assert "格列本脲" in s["medicine_notes"]["xiaoke-pill"]["zh"]
    assert seen


def test_acute_stroke_syndromes_are_flagged_for_referral(diseases):
    acute = [
        s for s in diseases["zhongfeng"]["syndromes"] if s.get("stage", "").startswith("急性期")
    ]
    assert acute and all(s.get("referral") is True for s in acute)
    assert any(not s.get("referral") for s in diseases["zhongfeng"]["syndromes"])


@pytest.mark.parametrize("code", CODES)
def test_an_alias_never_names_another_syndrome_of_the_same_disease(code, diseases):
    syndromes = diseases[code]["syndromes"]
    names = {s["name"]["zh"]: s["code"] for s in syndromes}
    for s in syndromes:
        for alias in s["aliases"]:
            assert names.get(alias, s["code"]) == s["code"], f"{code}/{s['code']}: {alias}"
