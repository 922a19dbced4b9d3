"""The disease files of the primary-care TCM knowledge base written by helper tcmkb1 (肺系、脾胃、
肝胆、脑系 common diseases) keep the issue-16 file contract.

Self-contained on purpose: it reads the YAML with yaml.safe_load and the county catalog files, not
the engine, so a broken file is caught even before the engine loads it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KB = ROOT / "gpassist" / "models" / "tcm" / "primary-care"
CATALOG_FILES = (
    ROOT / "clinics" / "demo-county" / "drugs.yaml",
    ROOT / "clinics" / "demo-county" / "drugs" / "neml-2018.yaml",
)

# The diseases this helper owns (contract: issue16-contract.md) with the GB/T term expected.
DISEASES = {
    "ganmao": "感冒",
    "kesou": "咳嗽病",
    "xiaobing": "哮病",
    "chuanzheng": "喘病",
    "weitong": "胃痛",
    "piman": "胃痞病",
    "outu": "呕吐",
    "xiexie": "泄泻病",
    "bianmi": "便秘病",
    "futong": "腹痛",
    "xietong": "胁痛",
    "toutong": "头风病",
    "xuanyun": "眩晕病",
}

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
}
OPTIONAL_SYNDROME_KEYS = {"against"}
DEPARTMENTS = {"内科", "妇科", "儿科", "外科", "皮肤科", "五官科", "骨伤科"}
STATUSES = {"machine", "reviewed"}
SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
GBT15657 = re.compile(r"^A\d{2}(\.\d{2}){1,4}$")
ICD10 = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")


def _load(path: Path) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@pytest.fixture(scope="module")
def catalog_kinds() -> dict[str, str]:
    """Every catalog drug code and its kind (western / chinese_patent …)."""
    kinds: dict[str, str] = {}
    for path in CATALOG_FILES:
        for drug in _load(path)["drugs"]:
            kinds[drug["code"]] = drug.get("kind", "")
    return kinds


@pytest.fixture(scope="module")
def source_keys() -> set[str]:
    sources = _load(KB / "kb.yaml")["sources"]
    assert all(_bilingual(source["name"]) for source in sources)
    return {source["key"] for source in sources}


@pytest.fixture(scope="module", params=sorted(DISEASES))
def disease(request) -> dict:
    path = KB / "diseases" / f"{request.param}.yaml"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    data = _load(path)
    data["_file_code"] = request.param
    return data


def _bilingual(value) -> bool:
    # Exactly zh and en: an unquoted comma in a YAML flow mapping would add stray keys.
    return isinstance(value, dict) and set(value) == {"zh", "en"} and all(value.values())


def _non_empty_strings(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


def _check_source(source, keys: set[str]) -> None:
    assert isinstance(source, dict) and set(source) == {"ref", "where"}, source
    assert isinstance(source["where"], str) and source["where"], source
    assert source.get("ref") in keys, f"unknown source {source.get('ref')!r}"


def test_disease_header_keeps_the_contract(disease, source_keys):
    assert set(disease) - {"_file_code"} == DISEASE_KEYS
    assert disease["code"] == disease["_file_code"]
    assert disease["term"] == DISEASES[disease["code"]]
    assert _bilingual(disease["name"])
    assert isinstance(disease["aliases"], list)
    assert disease["gbt15657"] is None or GBT15657.match(disease["gbt15657"])
    assert disease["department"] in DEPARTMENTS
    assert disease["icd10"] and all(ICD10.match(code) for code in disease["icd10"])
    assert disease["status"] in STATUSES
    _check_source(disease["source"], source_keys)


def test_syndromes_keep_the_contract(disease, source_keys):
    syndromes = disease["syndromes"]
    assert 3 <= len(syndromes) <= 12, "a village-practice disease has a handful of syndromes"
    for syndrome in syndromes:
        keys = set(syndrome)
        assert SYNDROME_KEYS <= keys <= SYNDROME_KEYS | OPTIONAL_SYNDROME_KEYS, syndrome["code"]
        assert SLUG.match(syndrome["code"]), syndrome["code"]
        assert _bilingual(syndrome["name"]) and syndrome["name"]["zh"].endswith("证")
        for field in ("main", "tongue", "pulse"):
            assert _non_empty_strings(syndrome[field]), (syndrome["code"], field)
        for field in ("secondary", "coating", "aliases", "patent_medicines"):
            assert isinstance(syndrome[field], list), (syndrome["code"], field)
        assert _bilingual(syndrome["principle"]) and _bilingual(syndrome["formula"])
        assert all(p.startswith("脉") for p in syndrome["pulse"]), syndrome["code"]
        assert syndrome["status"] in STATUSES
        _check_source(syndrome["source"], source_keys)


def test_syndrome_codes_names_and_aliases_are_unique_within_a_disease(disease):
    codes = [s["code"] for s in disease["syndromes"]]
    # A name or alias that points at two syndromes would make a recorded 证型 ambiguous.
    names = [n for s in disease["syndromes"] for n in {s["name"]["zh"], *s["aliases"]}]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_findings_against_a_syndrome_are_not_also_its_findings(disease):
    for syndrome in disease["syndromes"]:
        findings = set(syndrome["main"]) | set(syndrome["secondary"])
        assert not findings & set(syndrome.get("against", [])), syndrome["code"]


def test_patent_medicines_are_chinese_patent_products_of_the_county_catalog(disease, catalog_kinds):
    for syndrome in disease["syndromes"]:
        codes = syndrome["patent_medicines"]
        assert len(codes) == len(set(codes)), syndrome["code"]
        unknown = [code for code in codes if code not in catalog_kinds]
        assert not unknown, (syndrome["code"], unknown)
        western = [code for code in codes if catalog_kinds[code] == "western"]
        assert not western, (syndrome["code"], western)


def test_disease_codes_are_unique_across_the_knowledge_base():
    codes = [_load(path)["code"] for path in sorted((KB / "diseases").glob("*.yaml"))]
    assert len(codes) == len(set(codes))


def test_most_syndromes_link_a_patent_medicine():
    """The point of the catalog link: a village doctor usually finds something to prescribe."""
    paths = [KB / "diseases" / f"{code}.yaml" for code in DISEASES]
    syndromes = [s for path in paths if path.is_file() for s in _load(path)["syndromes"]]
    linked = sum(1 for s in syndromes if s["patent_medicines"])
    assert syndromes and linked / len(syndromes) >= 0.6
