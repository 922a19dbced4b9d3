"""The county's season and region: the file's validation, its storage by load-clinics, and the
multipliers on the posterior."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from gpassist.clinics.loader import RegistryFileError, apply_registry, read_registry
from gpassist.clinics.schemas import EpidemiologyFile
from gpassist.diagnosis import epidemiology
from gpassist.diagnosis.epidemiology import Multipliers
from tests.conftest import DEMO_COUNTY, MINI_COUNTY

LABELS = ("dengue", "flu", "hfmd", "rmsf", "sfts", "valley-fever")
REGIONAL = {"valley-fever": "absent-cn", "rmsf": "everywhere", "dengue": "absent-cn"}
DOCUMENT = {
    "region": {"zh": "测试", "en": "test"},
    "sources": {"s": {"citation": "test"}},
    "season": [
        {"condition": "flu", "months": [3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2], "source": "s"},
        {
            "condition": "hfmd",
            "months": [1, 1, 1, 2, 4, 4, 2, 1, 1, 1, 1, 1],
            "max_age": 5,
            "source": "s",
        },
        {"condition": "not-in-the-model", "months": [9] * 12, "source": "s"},
    ],
    "endemic": [{"condition": "sfts", "multiplier": 3, "source": "s"}],
    "absent": {"conditions": ["rmsf"], "kb_regional": ["absent-cn"], "source": "s"},
    "imported": [{"condition": "dengue", "multiplier": 500, "source": "s"}],
}


def factors(month, age=40, evidence=None, document=DOCUMENT):
    compiled = Multipliers(LABELS, REGIONAL, EpidemiologyFile.model_validate(document))
    return dict(zip(LABELS, compiled.factors(month, age, evidence or {}), strict=True))


def test_month_multipliers_follow_the_calendar():
    assert factors(1)["flu"] == 3 and factors(12)["flu"] == 2 and factors(7)["flu"] == 1


def test_an_age_limited_season_applies_only_at_those_ages():
    assert factors(5, age=3)["hfmd"] == 4
    assert factors(5, age=30)["hfmd"] == 1
    assert factors(5, age=None)["hfmd"] == 4  # unknown age: the season applies


def test_absent_conditions_are_near_zero_unless_the_patient_travelled():
    here = factors(6)
    assert here["rmsf"] == pytest.approx(1e-4)
    assert here["valley-fever"] == pytest.approx(1e-4)  # through the KB's absent-cn tag
    assert here["sfts"] == 3  # endemic, whole year
    travelled = factors(6, evidence={"exposure-travel": "present"})
    assert travelled["rmsf"] == 1 and travelled["valley-fever"] == 1
    assert factors(6, evidence={"exposure-travel": "absent"})["rmsf"] == pytest.approx(1e-4)


def test_an_imported_disease_is_raised_only_for_a_traveller():
    travelled = factors(6, evidence={"exposure-travel": "present"})
    assert travelled["dengue"] == 500  # absence lifted, then the traveller's rate
    assert travelled["valley-fever"] == 1  # absent but not imported: only lifted
    assert factors(6)["dengue"] == pytest.approx(1e-4)
    assert factors(6, evidence={"exposure-travel": "unknown"})["dengue"] == pytest.approx(1e-4)


def test_the_demo_county_raises_malaria_for_a_febrile_traveller():
    epi = read_registry(DEMO_COUNTY).epidemiology
    assert epi is not None
    entry = next(e for e in epi.imported if e.condition == "malaria")
    assert entry.when_present == ("exposure-travel",) and entry.multiplier >= 100


def test_codes_the_model_does_not_know_are_skipped_and_aliases_count():
    assert set(factors(1)) == set(LABELS)
    assert factors(1)["sfts"] == 3
    aliased = {**DOCUMENT, "endemic": [{"condition": "fts", "multiplier": 2, "source": "s"}]}
    compiled = Multipliers(
        LABELS, REGIONAL, EpidemiologyFile.model_validate(aliased), {"fts": "sfts"}
    )
    assert dict(zip(LABELS, compiled.factors(1, 40, {}), strict=True))["sfts"] == 2


def test_every_condition_the_demo_county_names_is_one_the_general_model_knows():
    from gpassist.diagnosis.runtime import load_model

    from .fixtures_ml import COMMITTED

    general = load_model(COMMITTED / "general")
    epi = read_registry(DEMO_COUNTY).epidemiology
    named = [e.condition for e in (*epi.season, *epi.endemic, *epi.imported)] + list(
        epi.absent.conditions
    )
    unknown = [c for c in named if general.kb.resolve("condition", c) not in general.conditions]
    assert unknown == []


def test_the_posterior_times_the_multiplier_is_the_log_prior_shifted():
    """softmax(z) · m renormalised == softmax(z + log m)."""
    rng = np.random.default_rng(0)
    z = rng.normal(size=len(LABELS))
    m = np.array(list(factors(1).values()))
    p = np.exp(z) / np.exp(z).sum()
    shifted = np.exp(z + np.log(m))
    assert np.allclose(p * m / (p * m).sum(), shifted / shifted.sum())


def edited(tmp_path, old: str, new: str):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    path = folder / "epidemiology.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("old", "new", "key", "reason"),
    [
        ("[3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]", "[3, 2, 1]", "season[0].months", "at least 12"),
        (
            "[3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]",
            "[3, -2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]",
            "season[0].months[1]",
            "greater than or equal to 0",
        ),
        ("    source: test\nabsent", "    source: nowhere\nabsent", "", "unknown source"),
        ("condition: flu", "condition: Flu Virus", "season[0].condition", "pattern"),
        (
            "  conditions: [rocky-mountain-spotted-fever]\n",
            "  conditions: [rocky-mountain-spotted-fever]\n  multiplier: 2\n",
            "absent.multiplier",
            "less than or equal to 1",
        ),
    ],
)
def test_a_bad_epidemiology_file_is_refused_with_its_field_path(tmp_path, old, new, key, reason):
    with pytest.raises(RegistryFileError) as caught:
        read_registry(edited(tmp_path, old, new))
    assert caught.value.file.name == "epidemiology.yaml"
    assert caught.value.key == key
    assert reason in str(caught.value)


def test_the_demo_countys_file_is_valid_and_cites_a_source_for_everything():
    files = read_registry(DEMO_COUNTY)
    epi = files.epidemiology
    assert epi is not None
    codes = {e.condition for e in epi.season}
    assert {"flu", "sfts", "hfrs", "scrub-typhus", "hand-foot-and-mouth-disease"} <= codes
    sfts = next(e for e in epi.season if e.condition == "sfts")
    assert min(sfts.months[3:10]) > max(sfts.months[0:2] + sfts.months[11:])  # Apr-Oct season
    flu = next(e for e in epi.season if e.condition == "flu")
    assert flu.months[0] > flu.months[4]  # winter peak
    assert epi.absent is not None and "absent-cn" in epi.absent.kb_regional


def test_load_clinics_stores_the_file_and_follows_its_changes(db_session, tmp_path):
    folder = tmp_path / "county"
    shutil.copytree(MINI_COUNTY, folder)
    apply_registry(db_session, read_registry(folder))
    stored = epidemiology.current(db_session)
    assert stored is not None and stored.season[0].months[0] == 3

    path = folder / "epidemiology.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("[3, 2, 1,", "[4, 2, 1,"), encoding="utf-8"
    )
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts == {"epidemiology updated": 1}
    assert epidemiology.current(db_session).season[0].months[0] == 4  # no stale cache

    path.unlink()  # optional: a county without the file gets neutral multipliers
    report = apply_registry(db_session, read_registry(folder))
    assert report.counts == {"epidemiology deactivated": 1}
    assert epidemiology.current(db_session) is None
    assert epidemiology.multipliers_for(object(), None, 1, 30, {}) is None
