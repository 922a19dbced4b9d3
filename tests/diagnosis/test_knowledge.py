"""The committed knowledge bases and the feature encoding."""

from __future__ import annotations

import csv
import importlib.util
import json
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.diagnosis.features import AGE_BANDS, FeatureSpace, age_band
from gpassist.diagnosis.knowledge import (
    FINDING_KINDS,
    PRIOR_TIERS,
    REGIONAL,
    REPO_ROOT,
    KnowledgeBaseError,
    file_sha256,
    load_kb,
)

from .fixtures_ml import COMMITTED, write_tiny_general

BENCHMARKS = ("dxy", "mz4", "mz10", "mdd")
GENERAL = COMMITTED / "general"
CODES_V1 = REPO_ROOT / "tests" / "data" / "diagnosis-codes-v1.json"
# issue 13 contract codes (../notes/issue13-contract.md)
NEW_CONDITIONS = {
    "acute-upper-respiratory-infection": "routine",
    "sfts": "urgent",
    "hfrs": "emergency",
    "scrub-typhus": "urgent",
    "schistosomiasis": "routine",
    "chronic-hepatitis-b": "routine",
    "hand-foot-and-mouth-disease": "routine",
    "covid-19": "routine",
}
NEW_FINDINGS = {
    "exposure-tick-bite": "exposure",
    "exposure-field-work": "exposure",
    "exposure-rodents": "exposure",
    "exposure-lake-water": "exposure",
    "exposure-travel": "exposure",
    "exposure-tb-contact": "exposure",
    "exposure-sick-contact": "exposure",
    "history-hypertension": "history",
    "history-diabetes": "history",
    "history-copd": "history",
    "history-asthma": "history",
    "history-coronary-disease": "history",
    "history-hepatitis-b": "history",
    "petechiae": "sign",
    "eschar": "sign",
    "neck-stiffness": "sign",
    "confusion": "sign",
    "sudden-severe-headache": "symptom",
    "chest-pain-radiating": "symptom",
    "low-platelets": "lab",
    "mouth-ulcers-and-hand-rash": "sign",
    "lethargy-child": "sign",
    "elevated-blood-pressure": "sign",
}


@pytest.fixture(scope="module")
def general():
    return load_kb(GENERAL)


def test_general_kb_holds_the_symcat_conditions_and_the_new_ones(general):
    kb = general
    assert kb.kind == "generative" and kb.clinical
    assert len(kb.conditions) >= 801 + len(NEW_CONDITIONS)
    assert set(kb.evidence) == set(kb.conditions)
    probabilities = [p for facts in kb.evidence.values() for p in facts.values()]
    assert all(0 < p <= 1 for p in probabilities)
    assert all(len(kb.demographics[c]) == 10 for c in kb.conditions)
    assert all(sum(kb.demographics[c].values()) > 0 for c in kb.conditions)
    for name, size in (("200", 200), ("300", 300), ("400", 400), ("common", 210)):
        assert len(kb.subsets[name]) == size and set(kb.subsets[name]) <= set(kb.conditions)


def test_no_code_of_the_previous_general_kb_is_lost(general):
    v1 = json.loads(CODES_V1.read_text(encoding="utf-8"))
    assert len(v1["conditions"]) == 801 and len(v1["symptoms"]) == 474
    lost_conditions = [
        c for c in v1["conditions"] if general.resolve("condition", c) not in general.conditions
    ]
    lost_symptoms = [
        s for s in v1["symptoms"] if general.resolve("symptom", s) not in general.symptoms
    ]
    assert lost_conditions == [] and lost_symptoms == []


def test_aliases_resolve_to_current_codes(general):
    assert general.aliases, "aliases.csv is read"
    for (kind, old), new in general.aliases.items():
        table = general.conditions if kind == "condition" else general.symptoms
        assert new in table and old not in table
    assert general.resolve("condition", "hypertension") == "high-blood-pressure"
    assert general.resolve("condition", "flu") == "flu"


def test_every_evidence_row_names_a_source_of_the_manifest(general):
    keys = general.source_keys()
    cited = {s for facts in general.evidence_sources.values() for s in facts.values()}
    assert "" not in cited and cited <= keys
    for entry in general.manifest["sources"]:
        assert entry["url_or_citation"] and entry["licence"] and entry["what"]


def test_every_condition_has_a_tier_with_a_source_and_a_regional_flag(general):
    for code, condition in general.conditions.items():
        assert condition.prior_tier in PRIOR_TIERS, code
        assert condition.prior_source, code
        assert condition.regional in REGIONAL, code
    absent = [c for c, x in general.conditions.items() if x.regional == "absent-cn"]
    assert {"rocky-mountain-spotted-fever", "valley-fever"} <= set(absent)
    assert all(general.conditions[c].prior_tier == "very-rare" for c in absent)
    tier = {c: x.prior_tier for c, x in general.conditions.items()}
    # the issue's order: URTI, gastroenteritis, bronchitis, hypertension >> pneumonia >> myocarditis
    order = {t: i for i, t in enumerate(PRIOR_TIERS)}
    for common in (
        "acute-upper-respiratory-infection",
        "infectious-gastroenteritis",
        "acute-bronchitis",
        "high-blood-pressure",
    ):
        assert order[tier[common]] < order[tier["pneumonia"]] < order[tier["myocarditis"]]


def test_every_finding_has_a_kind_and_a_leak_with_its_source(general):
    for code, symptom in general.symptoms.items():
        assert symptom.kind in FINDING_KINDS, code
        assert symptom.leak is not None and 0 < symptom.leak <= 1, code
        assert symptom.leak_source, code
    leak = {c: s.leak for c, s in general.symptoms.items()}
    for ordinary in ("fatigue", "headache", "cough", "fever"):
        for specific in ("hemoptysis", "eschar", "neck-stiffness", "petechiae"):
            assert leak[ordinary] > 10 * leak[specific], (ordinary, specific)


def test_the_contract_codes_are_there_with_their_kind_and_urgency(general):
    for code, urgency in NEW_CONDITIONS.items():
        condition = general.conditions[code]
        assert condition.urgency == urgency and condition.icd10 and condition.zh != condition.en
        assert len(general.evidence[code]) >= 8, code
    for code, kind in NEW_FINDINGS.items():
        finding = general.symptoms[code]
        assert finding.kind == kind and finding.synonyms and finding.pinyin and finding.initials
        assert any(code in facts for facts in general.evidence.values()), (
            f"{code} links no condition"
        )


def test_common_conditions_weigh_the_routine_negatives(general):
    """A denied sore throat or congestion must not veto the cold: each is listed at a real rate."""
    routine = ("fever", "cough", "sore-throat", "nasal-congestion", "shortness-of-breath")
    for code in (
        "common-cold",
        "acute-upper-respiratory-infection",
        "flu",
        "acute-bronchitis",
        "pneumonia",
    ):
        facts = general.evidence[code]
        assert all(s in facts for s in routine), code
    cold = general.evidence["common-cold"]
    assert 0.1 <= cold["fever"] <= 0.4 and cold["sore-throat"] < 0.9
    assert general.evidence["high-blood-pressure"]["history-hypertension"] >= 0.9
    assert general.evidence["sfts"]["low-platelets"] >= 0.9
    assert general.evidence["scrub-typhus"]["eschar"] >= 0.5


def _build_module():
    path = REPO_ROOT / "tools" / "build_general_kb.py"
    spec = importlib.util.spec_from_file_location("build_general_kb", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "bad",
    [
        "hemoptysis:\n  source: neike9\n  no-such-condition: 0.5\n",
        "no-such-finding:\n  source: neike9\n  meningitis: 0.5\n",
        "hemoptysis:\n  source: no-such-source\n  meningitis: 0.5\n",
        "hemoptysis:\n  source: neike9\n  meningitis: 1.5\n",
    ],
)
def test_the_build_script_refuses_unknown_codes_sources_and_impossible_figures(tmp_path, bad):
    build_module = _build_module()
    out = tmp_path / "general"
    shutil.copytree(GENERAL, out, ignore=shutil.ignore_patterns("*.onnx"))
    links = out / "curated" / "links.yaml"
    links.write_text(bad + links.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(build_module.BuildError):
        build_module.build(None, out)


def test_the_committed_files_are_what_the_build_script_makes(tmp_path):
    """Rebuild from the curated YAML into a copy (external layers read back from the committed
    evidence, as without ../shared/data) and compare: edit the YAML and rebuild, not the CSVs."""
    build_module = _build_module()
    out = tmp_path / "general"
    shutil.copytree(GENERAL, out, ignore=shutil.ignore_patterns("*.onnx"))
    build_module.build(None, out)
    for name in (
        "symptoms.csv",
        "conditions.csv",
        "evidence.csv",
        "demographics.csv",
        "aliases.csv",
        "kb.yaml",
    ):
        assert (out / name).read_bytes() == (GENERAL / name).read_bytes(), name


def test_conditions_a_village_clinic_does_not_manage_alone_say_why():
    with (GENERAL / "conditions.csv").open(encoding="utf-8") as handle:
        rows = {row["code"]: row for row in csv.DictReader(handle)}
    refer = {code for code, row in rows.items() if row["care"] == "refer"}
    # suspected pulmonary TB by law, chronic hepatitis B for antiviral assessment, schistosomiasis
    assert {"tuberculosis", "chronic-hepatitis-b", "schistosomiasis", "cataract"} <= refer
    assert all(rows[code]["care_source"] for code in refer)
    assert {rows[c]["care"] for c in ("common-cold", "high-blood-pressure", "diabetes")} == {
        "village"
    }


def test_a_kb_without_the_issue13_columns_loads_with_defaults(tmp_path):
    kb = load_kb(write_tiny_general(tmp_path / "tiny"))
    symptom = next(iter(kb.symptoms.values()))
    condition = next(iter(kb.conditions.values()))
    assert (symptom.kind, symptom.leak, symptom.leak_source) == ("symptom", None, "")
    assert (condition.prior_tier, condition.regional) == (None, "everywhere")
    assert condition.care == "village"
    assert kb.aliases == {} and all(
        s == "" for f in kb.evidence_sources.values() for s in f.values()
    )


def _rewrite(path, column, value):
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    header = list(rows[0]) + ([column] if column not in rows[0] else [])
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows([{**r, column: value} for r in rows])


@pytest.mark.parametrize(
    ("file", "column", "value"),
    [
        ("conditions.csv", "prior_tier", "frequent"),
        ("conditions.csv", "regional", "europe"),
        ("conditions.csv", "care", "township"),
        ("symptoms.csv", "kind", "feeling"),
        ("symptoms.csv", "leak", "1.5"),
        ("evidence.csv", "probability", "0"),
    ],
)
def test_a_kb_with_an_impossible_value_is_refused(tmp_path, file, column, value):
    folder = write_tiny_general(tmp_path / "tiny")
    _rewrite(folder / file, column, value)
    with pytest.raises(KnowledgeBaseError):
        load_kb(folder)


def test_an_alias_to_an_unknown_code_is_refused(tmp_path):
    folder = write_tiny_general(tmp_path / "tiny")
    (folder / "aliases.csv").write_text(
        "kind,old_code,new_code\ncondition,influenza,nowhere\n", encoding="utf-8"
    )
    with pytest.raises(KnowledgeBaseError):
        load_kb(folder)


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_kbs_are_not_clinical_and_pin_their_data(name):
    kb = load_kb(COMMITTED / name)
    assert kb.kind == "cases" and not kb.clinical
    assert kb.manifest["training"]["path"] == f"../shared/data/benchmarks/{name}/train.json"
    train = (REPO_ROOT / kb.manifest["training"]["path"]).resolve()
    if not train.exists():
        pytest.skip("../shared/data is not beside the repository")
    assert file_sha256(train) == kb.manifest["training"]["sha256"]


def test_unknown_is_both_zero_and_known_states_set_one_column():
    space = FeatureSpace(("cough", "fever"), demographics=True)
    row = space.encode({"cough": "present", "fever": "unknown"}, age=30, sex="female")
    names = space.names()
    on = {names[i] for i in np.flatnonzero(row)}
    assert on == {"present:cough", "age:age-30-44-years", "sex:female"}
    absent = space.encode({"fever": "absent"})
    assert {names[i] for i in np.flatnonzero(absent)} == {"absent:fever"}
    with pytest.raises(ValueError):
        space.encode({"cough": "maybe"})
    assert FeatureSpace.from_names(names) == space


@given(st.integers(min_value=0, max_value=120))
def test_every_age_falls_in_exactly_one_band(age):
    band = age_band(age)
    _, low, high = AGE_BANDS[band]
    assert low <= age <= high
    assert sum(low <= age <= high for _, low, high in AGE_BANDS) == 1
