"""onnxruntime reproduces scikit-learn (tiny pipeline); the committed general model is intact."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from sklearn.naive_bayes import BernoulliNB, MultinomialNB

from gpassist.diagnosis.features import FeatureSpace
from gpassist.diagnosis.knowledge import file_sha256, generative_tables, load_kb
from gpassist.diagnosis.runtime import load_model
from gpassist.diagnosis.training.estimators import exportable
from gpassist.diagnosis.training.export import PARITY_TOLERANCE, check_parity, to_onnx_bytes
from gpassist.diagnosis.training.simulate import mask, simulate

from .fixtures_ml import COMMITTED, write_tiny_general

GENERAL = COMMITTED / "general"


def _tiny_rows(tmp_path):
    kb = load_kb(write_tiny_general(tmp_path / "tiny"))
    tables = generative_tables(kb)
    space = FeatureSpace(tables.symptoms, demographics=True)
    rng = np.random.default_rng(0)
    patients = simulate(tables, 400, rng)
    known, bands, sexes = mask(patients, rng)
    return space, space.encode_arrays(patients.present, known, bands, sexes), patients.labels


@pytest.mark.parametrize("estimator", [BernoulliNB(alpha=1.0), MultinomialNB(alpha=0.1)])
def test_sklearn_naive_bayes_exports_as_the_same_linear_softmax(tmp_path, estimator):
    space, rows, labels = _tiny_rows(tmp_path)
    estimator.fit(rows, labels)
    linear = exportable(estimator)
    assert np.abs(linear.predict_proba(rows) - estimator.predict_proba(rows)).max() < 1e-12
    onnx_bytes = to_onnx_bytes(linear, space.width)
    assert check_parity(estimator, onnx_bytes, rows) <= PARITY_TOLERANCE


needs_general = pytest.mark.skipif(
    not (GENERAL / "model.onnx").exists(), reason="committed general model not built"
)


@needs_general
def test_committed_general_model_matches_its_knowledge_base():
    model = load_model(GENERAL)
    kb = load_kb(GENERAL)
    tables = generative_tables(kb)
    assert list(model.labels) == sorted(kb.conditions) == list(tables.conditions)
    assert model.metadata["features"] == FeatureSpace(tables.symptoms, True).names()
    for name in ("evidence.csv", "demographics.csv"):
        assert model.metadata["data_sha256"][name] == file_sha256(GENERAL / name)
    assert model.metadata["parity_max_abs_diff"] <= PARITY_TOLERANCE


@needs_general
def test_committed_general_runtime_equals_a_direct_onnxruntime_call():
    model = load_model(GENERAL)
    evidence = {"fever": "present", "cough": "present", "sore-throat": "absent"}
    row = model.encode(evidence, age=30, sex="male")
    assert row.dtype == np.float32 and row.shape == (1, len(model.metadata["features"]))
    session = ort.InferenceSession(str(GENERAL / "model.onnx"), providers=["CPUExecutionProvider"])
    direct = session.run(None, {session.get_inputs()[0].name: row})[1][0]
    ranking = model.rank(evidence, age=30, sex="male")
    by_code = {r.condition.code: r.probability for r in ranking.ranked}
    np.testing.assert_allclose([by_code[c] for c in model.labels], direct, atol=1e-7)
