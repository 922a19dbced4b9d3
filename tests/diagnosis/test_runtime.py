"""The runtime contract on the committed models: ranking, scope, errors, loading."""

from __future__ import annotations

import math

import pytest

from gpassist.diagnosis import runtime
from gpassist.diagnosis.runtime import UnknownSymptoms, load_model, load_models

from .fixtures_ml import COMMITTED, write_tiny_general

GENERAL = COMMITTED / "general"
pytestmark = pytest.mark.skipif(
    not (GENERAL / "model.onnx").exists(), reason="committed general model not built"
)
RESPIRATORY = {
    "acute-bronchitis",
    "acute-sinusitis",
    "common-cold",
    "flu",
    "laryngitis",
    "pharyngitis",
    "pneumonia",
    "strep-throat",
    "tonsillitis",
    "tracheitis",
}


@pytest.fixture(scope="module")
def general():
    return load_model(GENERAL)


def test_fever_cough_sore_throat_gives_a_respiratory_differential(general):
    evidence = {"fever": "present", "cough": "present", "sore-throat": "present"}
    ranking = general.rank(evidence, age=30, sex="male")
    top = [r.condition.code for r in ranking.ranked[:10]]
    assert len(RESPIRATORY & set(top[:5])) >= 3, top
    assert not ranking.out_of_scope
    assert math.isclose(sum(r.probability for r in ranking.ranked), 1.0, abs_tol=1e-4)
    probabilities = [r.probability for r in ranking.ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    flu = next(r for r in ranking.ranked if r.condition.code == "flu")
    assert set(flu.supporting) <= set(evidence) and "fever" in flu.supporting
    assert ranking.ranked[0].condition.zh != ranking.ranked[0].condition.en  # Chinese names


def test_unknown_codes_are_named(general):
    with pytest.raises(UnknownSymptoms) as caught:
        general.rank({"fever": "present", "no-such-symptom": "present", "zz": "absent"})
    assert caught.value.codes == ("no-such-symptom", "zz")


@pytest.mark.parametrize(
    ("evidence", "age", "sex"),
    [({"fever": "yes"}, None, None), ({}, 121, None), ({}, -1, None), ({}, 30, "other")],
)
def test_bad_values_raise_value_error(general, evidence, age, sex):
    with pytest.raises(ValueError):
        general.rank(evidence, age=age, sex=sex)


def test_mostly_unknown_evidence_is_out_of_scope(general):
    unused = sorted(set(general.symptoms) - set(general.space.symptoms))
    ranking = general.rank({unused[0]: "present", unused[1]: "present", "cough": "present"})
    assert ranking.out_of_scope and ranking.scope_notes[0]["zh"] and ranking.scope_notes[0]["en"]
    assert set(ranking.ignored) == {unused[0], unused[1]}


def test_symptoms_no_single_condition_explains_are_out_of_scope(general):
    scattered = {
        "nosebleed": "present",
        "painful-urination": "present",
        "knee-pain": "present",
        "eye-redness": "present",
    }
    ranking = general.rank(scattered, age=40, sex="female")
    assert ranking.out_of_scope and "leading condition" in ranking.scope_notes[0]["en"]
    assert not general.rank({"fever": "present", "cough": "present"}).out_of_scope


def test_models_load_once_and_benchmarks_are_not_clinical():
    assert load_model(GENERAL) is load_model(GENERAL)
    models = load_models(COMMITTED)
    assert models[runtime.DEFAULT_MODEL].clinical
    for name, model in models.items():
        if name != "general":
            assert not model.clinical


def test_setting_points_at_another_model_folder(monkeypatch, tmp_path):
    write_tiny_general(tmp_path / "tiny")
    monkeypatch.setenv("GPASSIST_DIAGNOSIS_MODELS", str(tmp_path))
    assert runtime.model_root() == tmp_path
    assert load_models() == {}  # a KB without model.onnx is not a model
