"""Every disease file of the primary-care TCM knowledge base keeps the issue-16 file contract.

Self-contained on purpose: it reads the YAML with yaml.safe_load and the county catalog files, not
the engine (gpassist/tcm/knowledge.py validates the same files when it loads them), so a broken
file is caught even before the engine loads it.
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

DISEASES = sorted(path.stem for path in (KB / "diseases").glob("*.yaml"))

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
OPTIONAL_SYNDROME_KEYS = {"against", "stage", "referral", "medicine_notes"}
OPTIONAL_DISEASE_KEYS = {
    "cardinal",  # the disease's defining findings (GB/T 16751.1 features)
    "ages",  # the ages (years) the disease is defined for: {min: 40, max: 60}
    "red_flags",  # findings that put the disease first and send an acute case on (中风)
    "differential",  # 鉴别诊断: the diseases it is told from, by which findings
}
DIFFERENTIAL_KEYS = {"disease", "for_this", "for_other", "source", "status"}
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


@pytest.fixture(scope="module", params=DISEASES)
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
    keys = set(disease) - {"_file_code"}
    assert DISEASE_KEYS <= keys <= DISEASE_KEYS | OPTIONAL_DISEASE_KEYS
    assert all(isinstance(t, str) and 0 < len(t) <= 20 for t in disease.get("cardinal", []))
    assert all(isinstance(t, str) and 0 < len(t) <= 20 for t in disease.get("red_flags", []))
    ages = disease.get("ages", {"min": 0})
    assert isinstance(ages, dict) and ages and set(ages) <= {"min", "max"}
    assert all(isinstance(v, int) and 0 <= v <= 120 for v in ages.values())
    assert ages.get("min", 0) <= ages.get("max", 120)
    assert disease["code"] == disease["_file_code"]
    assert isinstance(disease["term"], str) and disease["term"]
    assert _bilingual(disease["name"])
    assert isinstance(disease["aliases"], list)
    assert disease["gbt15657"] is None or GBT15657.match(disease["gbt15657"])
    assert disease["department"] in DEPARTMENTS
    assert disease["icd10"] and all(ICD10.match(code) for code in disease["icd10"])
    assert disease["status"] in STATUSES
    _check_source(disease["source"], source_keys)


def test_differentials_keep_the_contract(disease, source_keys):
    others = [entry["disease"] for entry in disease.get("differential", [])]
    assert len(others) == len(set(others)), "one entry per disease told from"
    assert disease["code"] not in others
    for entry in disease.get("differential", []):
        assert {"disease", "source", "status"} <= set(entry) <= DIFFERENTIAL_KEYS, entry
        assert entry["disease"] in DISEASES, entry["disease"]
        findings = entry.get("for_this", []) + entry.get("for_other", [])
        assert findings, f"{entry['disease']}: an entry with no finding tells nothing"
        # short terms as a doctor writes them, never a textbook's sentences
        assert all(isinstance(f, str) and 0 < len(f) <= 16 and "。" not in f for f in findings)
        assert not set(entry.get("for_this", [])) & set(entry.get("for_other", []))
        assert entry["status"] in STATUSES
        _check_source(entry["source"], source_keys)


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
        assert all(t.startswith("舌") for t in syndrome["tongue"]), syndrome["code"]
        assert all("苔" in c for c in syndrome["coating"]), syndrome["code"]  # 苔… or 无苔
        # In infants the finger venule (指纹) is read where an adult's pulse would be.
        assert all(p.startswith(("脉", "指纹")) for p in syndrome["pulse"]), syndrome["code"]
        for field in ("main", "secondary", "tongue", "coating", "pulse"):
            # short terms as a doctor writes them, never a standard's definition
            assert all(len(f) <= 16 and "。" not in f for f in syndrome[field]), syndrome["code"]
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
    syndromes = [
        s for code in DISEASES for s in _load(KB / "diseases" / f"{code}.yaml")["syndromes"]
    ]
    linked = sum(1 for s in syndromes if s["patent_medicines"])
    assert syndromes and linked / len(syndromes) >= 0.6


def test_a_patent_medicine_hiding_a_western_drug_is_flagged():
    # 消渴丸 contains glibenclamide: wherever it is suggested, the note must say so.
    seen = 0
    for code in DISEASES:
        for s in _load(KB / "diseases" / f"{code}.yaml")["syndromes"]:
            if "xiaoke-pill" in s["patent_medicines"]:
                seen += 1
                assert "格列本脲" in s["medicine_notes"]["xiaoke-pill"]["zh"]
    assert seen


def test_acute_stroke_syndromes_are_flagged_for_referral():
    syndromes = _load(KB / "diseases" / "zhongfeng.yaml")["syndromes"]
    acute = [s for s in syndromes if s.get("stage", "").startswith("急性期")]
    assert acute and all(s.get("referral") is True for s in acute)
    assert any(not s.get("referral") for s in syndromes)
