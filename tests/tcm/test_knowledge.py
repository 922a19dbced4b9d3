"""The knowledge base loader: the contract's schema, every problem named by file and key path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from gpassist.config import PACKAGED_MODELS
from gpassist.tcm import knowledge

SAMPLE = Path(__file__).parents[1] / "data" / "tcm-kb-sample"
PACKAGED = PACKAGED_MODELS / "tcm" / "primary-care"


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE, tmp_path / "kb"))


def edit(folder: Path, name: str, change) -> None:
    path = folder / "diseases" / f"{name}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def problems_of(folder: Path) -> list[str]:
    with pytest.raises(knowledge.KnowledgeBaseError) as caught:
        knowledge.load(folder)
    return caught.value.problems


def test_the_sample_loads_with_its_diseases_and_syndromes():
    kb = knowledge.load(SAMPLE)
    assert kb.name == "kb-sample" and list(kb.diseases) == ["ganmao", "xuanyun"]
    assert kb.diseases["ganmao"].syndromes[0].name.zh == "风寒束表证"
    assert kb.by_term("眩晕病").code == "xuanyun" and kb.warnings == ()


def test_every_problem_is_named_by_file_and_key_path(sample_copy):
    def break_ganmao(data):
        del data["syndromes"][0]["main"]
        data["syndromes"][1]["pulse"] = "脉浮数"  # a string, not a list
        data["department"] = "心内科"
        data["icd10"] = ["hypertension"]

    edit(sample_copy, "ganmao", break_ganmao)
    edit(sample_copy, "xuanyun", lambda d: d.update(code="xuan-yun"))
    problems = problems_of(sample_copy)
    expected = (
        "diseases/ganmao.yaml: syndromes.0.main: Field required",
        "diseases/ganmao.yaml: syndromes.1.pulse:",
        "diseases/ganmao.yaml: department:",
        "diseases/ganmao.yaml: icd10:",
    )
    for prefix in expected:
        assert any(p.startswith(prefix) for p in problems), (prefix, problems)
    # the cross-checks run on the files that validate
    assert any(
        p.startswith("diseases/xuanyun.yaml: code: 'xuan-yun' differs from the file name")
        for p in problems
    ), problems


def test_an_age_range_upside_down_is_named(sample_copy):
    edit(sample_copy, "ganmao", lambda d: d.update(ages={"min": 60, "max": 40}))
    problems = problems_of(sample_copy)
    assert any(p.startswith("diseases/ganmao.yaml: ages:") for p in problems), problems


def test_an_unknown_source_key_and_a_repeated_syndrome_code_are_named(sample_copy):
    def change(data):
        data["syndromes"][2]["source"]["ref"] = "no-such-book"
        data["syndromes"][1]["code"] = data["syndromes"][0]["code"]

    edit(sample_copy, "ganmao", change)
    problems = problems_of(sample_copy)
    assert "diseases/ganmao.yaml: syndromes.2.source.ref: 'no-such-book' is not a source key " \
        "of kb.yaml" in problems  # fmt: skip
    assert "diseases/ganmao.yaml: syndromes.1.code: 'fenghan-shubiao' is repeated" in problems


def test_an_unquoted_comma_in_english_is_rejoined_with_a_warning(sample_copy):
    path = sample_copy / "diseases" / "ganmao.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "en: release the exterior with acrid-warm herbs}",
        "en: release the exterior, dispel cold}",
    )
    path.write_text(text, encoding="utf-8")
    kb = knowledge.load(sample_copy)
    principle = kb.diseases["ganmao"].syndromes[0].principle
    assert principle.en == "release the exterior, dispel cold"
    assert kb.warnings == (
        "diseases/ganmao.yaml: syndromes.0.principle.en: unquoted comma, read as "
        "'release the exterior, dispel cold'",
    )


def test_patent_medicines_are_checked_against_the_catalog_not_at_load():
    kb = knowledge.load(SAMPLE)  # loads although no catalog is consulted
    missing = knowledge.missing_medicines(kb, {"ganmaoling-gran-10g", "yinqiao-jiedu-tab"})
    assert "diseases/ganmao.yaml: syndromes.1.patent_medicines.1: 'ganmao-qingre-gran-12g' " \
        "is not in the catalog" in missing  # fmt: skip
    assert not any("ganmaoling" in m for m in missing)


def test_icd10_maps_to_diseases_most_specific_first():
    kb = knowledge.load(SAMPLE)
    assert [d.code for d in kb.for_icd10("J06.9")] == ["ganmao"]
    assert [d.code for d in kb.for_icd10("i10")] == ["xuanyun"]
    assert kb.for_icd10("K29.7") == []


@pytest.mark.skipif(not (PACKAGED / "kb.yaml").exists(), reason="no packaged knowledge base yet")
def test_the_packaged_knowledge_base_loads_and_maps_acute_urti_to_ganmao():
    kb = knowledge.load(PACKAGED)
    assert len(kb.diseases) >= 30
    assert kb.for_icd10("J06.9")[0].code == "ganmao"


def test_a_differential_names_its_problems_and_an_unknown_disease(sample_copy):
    def change(data):
        entry = {
            "disease": "xuanyun",
            "for_this": ["鼻塞"],
            "source": {"ref": "zhongyineike-10", "where": "感冒·病证鉴别"},
            "status": "machine",
        }
        data["differential"] = [
            entry,
            entry,  # the same disease twice
            {**entry, "disease": "houbi"},  # no file for it
            {**entry, "disease": "ganmao"},  # itself
            {**entry, "source": {"ref": "no-such-book", "where": "x"}, "disease": "kesou"},
        ]

    edit(sample_copy, "ganmao", change)
    silent = {
        "disease": "ganmao",  # says nothing for either side
        "source": {"ref": "zhongyineike-10", "where": "眩晕·病证鉴别"},
        "status": "machine",
    }
    edit(sample_copy, "xuanyun", lambda d: d.update(differential=[silent]))
    problems = problems_of(sample_copy)
    for expected in (
        "diseases/ganmao.yaml: differential.1.disease: 'xuanyun' is repeated",
        "diseases/ganmao.yaml: differential.3.disease: a disease is not told from itself",
        "diseases/ganmao.yaml: differential.4.source.ref: 'no-such-book' is not a source key "
        "of kb.yaml",
    ):
        assert expected in problems, problems
    assert any(p.startswith("diseases/xuanyun.yaml: differential.0: Value error") for p in problems)


def test_a_differential_naming_a_disease_without_a_file_is_named(sample_copy):
    entry = {
        "disease": "houbi",
        "for_other": ["咽痛"],
        "source": {"ref": "zhongyineike-10", "where": "感冒·病证鉴别"},
        "status": "machine",
    }
    edit(sample_copy, "ganmao", lambda d: d.update(differential=[entry]))
    assert problems_of(sample_copy) == [
        "diseases/ganmao.yaml: differential.0.disease: 'houbi' is not a disease of the "
        "knowledge base"
    ]


def test_the_packaged_differentials_load_with_their_sources():
    kb = knowledge.load(PACKAGED)
    entries = [(d.code, e) for d in kb.diseases.values() for e in d.differential]
    assert len(entries) >= 20
    assert all(e.source.where and e.status in ("machine", "reviewed") for _, e in entries)
    wheeze = next(e for code, e in entries if (code, e.disease) == ("chuanzheng", "xiaobing"))
    assert "喉中哮鸣" in wheeze.for_other
