"""The project's own vignettes (tests/data/diagnosis-vignettes.json) are well formed and use the
general model's codes (issue 13 item 8). They measure the model; they are never fitted to."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from gpassist.diagnosis import runtime
from gpassist.diagnosis.training import vignettes as vg

FILE = Path(__file__).resolve().parents[1] / "data" / "diagnosis-vignettes.json"
GENERAL = runtime.model_root() / runtime.DEFAULT_MODEL


def _codes(name: str) -> set[str]:
    with (GENERAL / name).open(encoding="utf-8", newline="") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    return json.loads(FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def cases(raw) -> list[vg.Vignette]:
    return vg.parse_vignettes(raw)


def test_every_case_is_well_formed_and_cites_its_source(raw, cases):
    assert len(cases) == len(raw)
    for item in raw:
        where = item["id"]
        assert isinstance(item.get("source"), str) and len(item["source"]) >= 6, where
        assert isinstance(item.get("note_zh"), str) and item["note_zh"].strip(), where
        assert isinstance(item.get("month"), int) and 1 <= item["month"] <= 12, where
        assert item.get("age") is not None and item.get("sex") in vg.SEXES, where
        assert item["present"] or item["exposures"] or item["chronic"], where
        assert all(code.startswith("exposure-") for code in item["exposures"]), where
        assert all(code.startswith("history-") for code in item["chronic"]), where


def test_every_code_is_the_general_models(cases):
    symptoms, conditions = _codes("symptoms.csv"), _codes("conditions.csv")
    # check_codes raises naming the case and the code
    vg.check_codes(cases, symptoms, conditions, vg.read_aliases(GENERAL))


def test_the_mix_is_a_county_clinics(cases):
    by_triage = Counter(case.gold_triage for case in cases)
    assert len(cases) >= 120
    assert by_triage["emergent"] >= 30
    assert by_triage["self-care"] >= 30
    assert by_triage["non-emergent"] >= 30
    children = sum(1 for case in cases if case.age < 15)
    elderly = sum(1 for case in cases if case.age >= 65)
    assert children >= 30 and elderly >= 30, (children, elderly)
    # The county's endemic diseases are examined, each more than once.
    gold = Counter(code for case in cases for code in set(case.gold_codes))
    for endemic in ("sfts", "hfrs", "scrub-typhus", "schistosomiasis", "tuberculosis"):
        assert gold[endemic] >= 3, endemic
