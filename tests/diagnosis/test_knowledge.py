"""The committed knowledge bases and the feature encoding."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.diagnosis.features import AGE_BANDS, FeatureSpace, age_band
from gpassist.diagnosis.knowledge import REPO_ROOT, file_sha256, load_kb

from .fixtures_ml import COMMITTED

BENCHMARKS = ("dxy", "mz4", "mz10", "mdd")


def test_general_kb_holds_all_801_symcat_conditions():
    kb = load_kb(COMMITTED / "general")
    assert kb.kind == "generative" and kb.clinical
    assert len(kb.conditions) == 801 and set(kb.evidence) == set(kb.conditions)
    probabilities = [p for facts in kb.evidence.values() for p in facts.values()]
    assert all(0 < p <= 1 for p in probabilities)
    assert all(len(kb.demographics[c]) == 10 for c in kb.conditions)
    for name, size in (("200", 200), ("300", 300), ("400", 400), ("common", 210)):
        assert len(kb.subsets[name]) == size and set(kb.subsets[name]) <= set(kb.conditions)


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
