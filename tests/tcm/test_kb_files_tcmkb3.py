"""The knowledge-base files of helper tcmkb3 (gynaecology, paediatrics, skin, ENT/mouth, neck):
each disease file keeps the issue-16 contract, and every patent medicine it names is a Chinese
patent medicine of the county catalog. Self-contained: reads the YAML files only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "gpassist" / "models" / "tcm" / "primary-care"
COUNTY = ROOT / "clinics" / "demo-county"

# The 20 diseases the contract gives this helper.
CODES = [
    "tongjing",
    "yuejinghouqi",
    "daixia",
    "juejing",
    "quru",
    "xiaoerxiexie",
    "jizhi",
    "yanshi",
    "yiniao",
    "yeti",
    "shichuang",
    "yinzhen",
    "shechuanchuang",
    "fenci",
    "fengsaoyang",
    "houbi",
    "rue",
    "biyuan",
    "kouchuang",
    "xiangbi",
]
DEPARTMENTS = {"内科", "妇科", "儿科", "外科", "皮肤科", "五官科", "骨伤科"}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ICD10 = re.compile(r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$")
GBT15657 = re.compile(r"^A[0-9]{2}(\.[0-9]{2})+$")
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
SYNDROME_KEYS = set(
    [
        "code",
        "name",
        "aliases",
        "main",
        "secondary",
        "tongue",
        "coating",
        "pulse",
        "principle",
        "formula",
        "patent_medicines",
        "source",
        "status",
    ]
)
FINDING_LISTS = ("main", "secondary", "tongue", "coating", "pulse", "against")


def _load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def diseases() -> dict[str, dict]:
    return {code: _load(KB / "diseases" / f"{code}.yaml") for code in CODES}


@pytest.fixture(scope="module")
def source_keys() -> set[str]:
    return {s["key"] for s in _load(KB / "kb.yaml")["sources"]}


@pytest.fixture(scope="module")
def patent_codes() -> set[str]:
    """Codes of the Chinese patent medicines in drugs.yaml and drugs/*.yaml."""
    files = [COUNTY / "drugs.yaml", *sorted((COUNTY / "drugs").glob("*.yaml"))]
    return {
        d["code"] for f in files for d in _load(f)["drugs"] if d.get("kind") == "chinese_patent"
    }


def _syndromes(diseases):
    return [(code, s) for code, d in diseases.items() for s in d["syndromes"]]


def _bilingual(value) -> bool:
    return isinstance(value, dict) and bool(value.get("zh")) and bool(value.get("en"))


@pytest.mark.parametrize("code", CODES)
def test_disease_keeps_the_contract(diseases, source_keys, code):
    d = diseases[code]
    assert set(d) >= DISEASE_KEYS, DISEASE_KEYS - set(d)
    assert d["code"] == code
    assert _bilingual(d["name"]) and d["term"]
    assert d["gbt15657"] is None or GBT15657.match(d["gbt15657"]), d["gbt15657"]
    assert d["department"] in DEPARTMENTS
    assert d["icd10"] and all(ICD10.match(c) for c in d["icd10"]), d["icd10"]
    assert d["source"]["ref"] in source_keys and d["source"]["where"]
    assert d["status"] in {"machine", "reviewed"}
    assert len(d["syndromes"]) >= 3


@pytest.mark.parametrize("code", CODES)
def test_syndrome_codes_are_unique_slugs(diseases, code):
    codes = [s["code"] for s in diseases[code]["syndromes"]]
    assert len(codes) == len(set(codes)), codes
    assert all(SLUG.match(c) for c in codes), codes
    names = [s["name"]["zh"] for s in diseases[code]["syndromes"]]
    assert len(names) == len(set(names)), names


def test_disease_codes_and_terms_are_unique(diseases):
    terms = [d["term"] for d in diseases.values()]
    assert len(terms) == len(set(terms))
    assert all(SLUG.match(c) for c in diseases)


def test_every_syndrome_has_findings_principle_and_formula(diseases, source_keys):
    for code, s in _syndromes(diseases):
        where = f"{code}/{s.get('code')}"
        assert set(s) >= SYNDROME_KEYS, (where, SYNDROME_KEYS - set(s))
        assert _bilingual(s["name"]) and s["name"]["zh"].endswith("证"), where
        for key in ("main", "tongue", "pulse"):
            assert s[key] and all(isinstance(x, str) and x for x in s[key]), (where, key)
        assert isinstance(s["coating"], list) and isinstance(s["secondary"], list), where
        assert _bilingual(s["principle"]) and _bilingual(s["formula"]), where
        assert s["source"]["ref"] in source_keys and s["source"]["where"], where
        assert s["status"] in {"machine", "reviewed"}, where


def test_findings_are_short_terms_not_definitions(diseases):
    for code, s in _syndromes(diseases):
        for key in FINDING_LISTS:
            for finding in s.get(key, []):
                assert len(finding) <= 16 and "。" not in finding, (code, s["code"], finding)


def test_tongue_coating_and_pulse_sit_in_their_lists(diseases):
    for code, s in _syndromes(diseases):
        assert all(x.startswith("舌") for x in s["tongue"]), (code, s["code"], s["tongue"])
        assert all(x.startswith("苔") for x in s["coating"]), (code, s["code"], s["coating"])
        # In infants the finger venule (指纹) is read where an adult's pulse would be.
        assert all(x.startswith(("脉", "指纹")) for x in s["pulse"]), (code, s["code"], s["pulse"])


def test_patent_medicines_exist_in_the_county_catalog(diseases, patent_codes):
    missing = {
        (code, s["code"], m)
        for code, s in _syndromes(diseases)
        for m in s["patent_medicines"]
        if m not in patent_codes
    }
    assert not missing, sorted(missing)


def test_some_syndromes_link_patent_medicines(diseases):
    # A knowledge base that links nothing would leave step 4 of the issue without suggestions:
    # on average two syndromes a disease name a catalog product.
    linked = [s for _, s in _syndromes(diseases) if s["patent_medicines"]]
    assert len(linked) >= 2 * len(diseases)
