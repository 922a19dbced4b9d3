"""Triage rules: every rule at its boundary, and properties that hold for any input."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.diagnosis.triage import (
    CONSCIOUSNESS,
    SEVERITY,
    Level,
    RankedUrgency,
    load_rules,
    triage,
)

ROOT = Path(__file__).resolve().parents[2]
P = "present"


def level(evidence=None, vitals=None, age=40, top=()):
    return triage(evidence or {}, vitals or {}, age, top).level


def codes(evidence=None, vitals=None, age=40, top=()):
    return [r.code for r in triage(evidence or {}, vitals or {}, age, top).reasons]


# --- vital signs, at and just inside each threshold --------------------------------------------

VITAL_BOUNDARIES = [
    # (vitals, age, expected level, expected rule code or None)
    ({"sbp": 179, "dbp": 100}, 60, Level.treat_here, None),
    ({"sbp": 180, "dbp": 100}, 60, Level.refer, "severe_hypertension"),
    ({"sbp": 170, "dbp": 109}, 60, Level.treat_here, None),
    ({"sbp": 170, "dbp": 110}, 60, Level.refer, "severe_hypertension"),
    ({"sbp": 91, "dbp": 60}, 30, Level.treat_here, None),
    ({"sbp": 90, "dbp": 60}, 30, Level.refer, "low_blood_pressure"),
    ({"sbp": 85, "dbp": 50}, 11, Level.treat_here, None),  # children's pressures are lower
    ({"glucose_mmol_l": 4.0}, 50, Level.treat_here, None),
    ({"glucose_mmol_l": 3.9}, 50, Level.refer, "hypoglycaemia"),
    ({"glucose_mmol_l": 16.6}, 50, Level.treat_here, None),
    ({"glucose_mmol_l": 16.7}, 50, Level.refer, "severe_hyperglycaemia"),
    ({"spo2": 92}, 50, Level.treat_here, None),
    ({"spo2": 91}, 50, Level.refer, "hypoxaemia"),
    ({"spo2": 90}, 50, Level.refer, "hypoxaemia"),
    ({"spo2": 89}, 50, Level.emergency, "hypoxaemia_severe"),
    ({"consciousness": "alert"}, 50, Level.treat_here, None),
    ({"consciousness": "confused"}, 50, Level.emergency, "not_alert"),
    ({"consciousness": "unresponsive"}, 50, Level.emergency, "not_alert"),
    ({"temperature_c": 40.9}, 30, Level.treat_here, None),
    ({"temperature_c": 41.0}, 30, Level.emergency, "hyperpyrexia"),
    ({"temperature_c": 37.9}, 0, Level.treat_here, None),
    ({"temperature_c": 38.0}, 0, Level.refer, "fever_in_infant"),
    ({"temperature_c": 39.5}, 1, Level.treat_here, None),  # a toddler's fever alone: treat here
    ({"temperature_c": 35.1}, 30, Level.treat_here, None),
    ({"temperature_c": 35.0}, 30, Level.refer, "hypothermia"),
    ({"temperature_c": 35.4}, 0, Level.refer, "hypothermia_in_infant"),
    ({"temperature_c": 35.5}, 0, Level.treat_here, None),
    ({"temperature_c": 35.4}, 2, Level.treat_here, None),
    ({"heart_rate": 160}, 0, Level.treat_here, None),
    ({"heart_rate": 161}, 0, Level.refer, "tachycardia_infant"),
    ({"heart_rate": 150}, 1, Level.treat_here, None),
    ({"heart_rate": 151}, 1, Level.refer, "tachycardia_toddler"),
    ({"heart_rate": 140}, 4, Level.treat_here, None),
    ({"heart_rate": 141}, 2, Level.refer, "tachycardia_preschool"),
    ({"heart_rate": 129}, 5, Level.treat_here, None),
    ({"heart_rate": 130}, 5, Level.refer, "tachycardia"),
    ({"heart_rate": 130}, 70, Level.refer, "tachycardia"),
    ({"heart_rate": 41}, 40, Level.treat_here, None),
    ({"heart_rate": 40}, 40, Level.refer, "bradycardia"),
    ({"heart_rate": 60}, 8, Level.treat_here, None),
    ({"heart_rate": 59}, 8, Level.refer, "bradycardia_child"),
    ({"heart_rate": 59}, 12, Level.treat_here, None),
    ({"respiratory_rate": 29}, 40, Level.treat_here, None),
    ({"respiratory_rate": 30}, 40, Level.refer, "fast_breathing_adult"),
    ({"respiratory_rate": 35}, 6, Level.treat_here, None),
    ({"respiratory_rate": 9}, 40, Level.treat_here, None),
    ({"respiratory_rate": 8}, 40, Level.emergency, "slow_breathing"),
]


@pytest.mark.parametrize(("vitals", "age", "expected", "rule"), VITAL_BOUNDARIES)
def test_vital_sign_boundaries(vitals, age, expected, rule):
    decision = triage({}, vitals, age)
    assert decision.level == expected
    assert [r.code for r in decision.reasons] == ([rule] if rule else [])
    if rule:
        reason = decision.reasons[0]
        field = reason.field.removeprefix("vitals.")
        assert vitals[field] == reason.value  # the reading that fired is named
        assert reason.zh and reason.en and reason.source_zh and reason.source_en


def test_one_reason_per_reading_the_most_severe():
    decision = triage({}, {"spo2": 85, "temperature_c": 41.2}, 0)
    assert decision.level == Level.emergency
    assert sorted(r.code for r in decision.reasons) == ["hyperpyrexia", "hypoxaemia_severe"]


def test_severe_hypertension_with_end_organ_symptoms_is_an_emergency():
    vitals = {"sbp": 186, "dbp": 104}
    assert level({"headache": P}, vitals) == Level.emergency
    assert level({"头痛": P}, vitals) == Level.emergency  # the benchmark's Chinese vocabulary
    assert level({"Vision loss": P}, vitals) == Level.emergency  # and MDD's English one
    assert level({"headache": "absent"}, vitals) == Level.refer
    assert level({"headache": P}, {"sbp": 178, "dbp": 104}) == Level.treat_here
    (reason,) = triage({"chest-pain": P}, vitals, 60).reasons
    assert reason.code == "severe_hypertension" and "高血压急症" in reason.zh


def test_high_glucose_with_vomiting_or_fast_breathing_is_an_emergency():
    assert level({"vomiting": P}, {"glucose_mmol_l": 22.0}) == Level.emergency
    assert level({"breathing-fast": P}, {"glucose_mmol_l": 16.7}) == Level.emergency
    assert level({"vomiting": P}, {"glucose_mmol_l": 16.6}) == Level.treat_here


# --- red-flag symptoms -------------------------------------------------------------------------

SYMPTOM_CASES = [
    ({"chest-pain": P}, 55, Level.treat_here, None),
    ({"chest-pain": P, "sweating": P}, 55, Level.emergency, "acute_chest_pain"),
    ({"chest-pain": P, "sweating": "absent"}, 55, Level.treat_here, None),
    ({"chest-pain": P, "sweating": "unknown"}, 55, Level.treat_here, None),
    ({"胸痛": P, "出汗": P}, 55, Level.emergency, "acute_chest_pain"),
    ({"胸闷": P, "呼吸困难": P}, 55, Level.emergency, "acute_chest_pain"),
    ({"Chest tightness and shortness of breath": P}, 55, Level.emergency, "acute_chest_pain"),
    ({"sweating": P}, 55, Level.treat_here, None),
    ({"昏迷": P}, 30, Level.emergency, "altered_consciousness"),
    ({"Unconsciousness": P}, 30, Level.emergency, "altered_consciousness"),
    ({"fainting": P}, 30, Level.emergency, "fainting"),
    ({"Syncope": P}, 30, Level.emergency, "fainting"),
    ({"seizures": P}, 30, Level.emergency, "convulsions"),
    ({"抽搐": P}, 3, Level.emergency, "convulsions"),
    ({"嗜睡": P}, 4, Level.emergency, "lethargic_child"),
    ({"嗜睡": P}, 5, Level.treat_here, None),
    ({"精神萎靡": P}, 1, Level.emergency, "lethargic_child"),
    ({"focal-weakness": P}, 70, Level.emergency, "stroke_signs"),
    ({"slurring-words": P}, 70, Level.emergency, "stroke_signs"),
    ({"口唇发绀": P}, 1, Level.emergency, "respiratory_distress"),
    ({"Inspiratory tri-concave sign": P}, 1, Level.emergency, "respiratory_distress"),
    ({"vomiting-blood": P}, 50, Level.emergency, "haematemesis"),
    ({"fever": P, "neck-stiffness-or-tightness": P}, 20, Level.emergency, "fever_with_stiff_neck"),
    ({"neck-stiffness-or-tightness": P}, 20, Level.treat_here, None),
    ({"spotting-or-bleeding-during-pregnancy": P}, 28, Level.emergency, "bleeding_in_pregnancy"),
    ({"melena": P}, 50, Level.refer, "melena"),
    ({"黑便": P}, 50, Level.refer, "melena"),
    ({"hemoptysis": P}, 50, Level.refer, "haemoptysis"),
    ({"咯血": P}, 50, Level.refer, "haemoptysis"),
    ({"喷射性呕吐": P}, 1, Level.refer, "projectile_vomiting"),
    ({"fever": P, "cough": P, "sore-throat": P}, 30, Level.treat_here, None),
]


@pytest.mark.parametrize(("evidence", "age", "expected", "rule"), SYMPTOM_CASES)
def test_red_flag_symptoms(evidence, age, expected, rule):
    decision = triage(evidence, {}, age)
    assert decision.level == expected
    assert [r.code for r in decision.reasons] == ([rule] if rule else [])
    if rule:
        reason = decision.reasons[0]
        assert reason.field == "evidence"
        assert set(reason.value) <= {c for c, v in evidence.items() if v == P}
        assert reason.value


# --- the model's ranking -----------------------------------------------------------------------

MI = RankedUrgency("acute-myocardial-infarction", "急性心肌梗死", "Acute MI", "emergency")
PNEUMONIA = RankedUrgency("pneumonia", "肺炎", "Pneumonia", "urgent")
COLD = RankedUrgency("common-cold", "普通感冒", "Common cold", "routine")


def test_an_emergency_in_the_top_three_forces_emergency_but_not_fourth():
    assert level(top=[COLD, COLD, MI]) == Level.emergency
    assert level(top=[COLD, COLD, COLD, MI]) == Level.treat_here
    (reason,) = triage({}, {}, 60, [COLD, MI]).reasons
    assert reason.code == "emergency_condition_in_top3"
    assert reason.value == ("acute-myocardial-infarction",)
    assert "急性心肌梗死" in reason.zh and "Acute MI" in reason.en


def test_an_urgent_condition_in_the_top_three_refers():
    assert level(top=[PNEUMONIA, COLD]) == Level.refer
    assert level(top=[COLD, COLD, COLD]) == Level.treat_here
    assert codes(top=[PNEUMONIA, MI]) == ["emergency_condition_in_top3", "urgent_condition_in_top3"]


def test_reasons_come_most_severe_first():
    decision = triage({"melena": P, "fainting": P}, {"spo2": 91}, 50, [PNEUMONIA])
    severities = [SEVERITY[r.level] for r in decision.reasons]
    assert severities == sorted(severities, reverse=True)
    assert decision.level == Level.emergency and decision.reasons[0].code == "fainting"


def test_an_unknown_age_applies_the_age_limited_rules():
    assert level(vitals={"temperature_c": 38.2}, age=None) == Level.refer
    assert level({"嗜睡": P}, age=None) == Level.emergency


# --- the rule book itself ----------------------------------------------------------------------


def committed_vocabulary() -> set[str]:
    vocabulary = set()
    for path in (ROOT / "gpassist" / "models" / "diagnosis").glob("*/symptoms.csv"):
        with path.open(encoding="utf-8") as f:
            vocabulary |= {row["code"] for row in csv.DictReader(f)}
    return vocabulary


def test_every_red_flag_code_is_a_symptom_of_some_committed_model():
    vocabulary = committed_vocabulary()
    if not vocabulary:
        pytest.skip("no committed symptoms.csv under gpassist/models/diagnosis")
    missing = sorted(load_rules().red_flag_codes() - vocabulary)
    assert missing == []


def test_every_rule_cites_a_source_with_both_languages():
    book = load_rules()
    for rule in (*book.symptom_rules, *book.vital_rules, *book.condition_rules):
        source = book.sources[rule.source]
        assert source.zh and source.en, rule.code


def test_a_rule_naming_an_unknown_sign_is_refused(tmp_path):
    from pydantic import ValidationError

    text = (ROOT / "gpassist" / "diagnosis" / "triage_rules.yaml").read_text(encoding="utf-8")
    broken = tmp_path / "rules.yaml"
    broken.write_text(text.replace("all: [melena]", "all: [melaena]"), encoding="utf-8")
    with pytest.raises(ValidationError, match="melaena"):
        load_rules(broken)


# --- properties --------------------------------------------------------------------------------

RED_FLAGS = sorted(load_rules().red_flag_codes())
NEUTRAL = ["cough", "sore-throat", "咳嗽", "流涕", "Runny nose", "rash", "back-pain"]
values = st.sampled_from(["present", "absent", "unknown"])
evidences = st.dictionaries(st.sampled_from(RED_FLAGS + NEUTRAL), values, max_size=8)
vitals = st.fixed_dictionaries(
    {},
    optional={
        "sbp": st.integers(60, 300),
        "dbp": st.integers(20, 59),
        "heart_rate": st.integers(20, 250),
        "temperature_c": st.floats(30, 45, allow_nan=False),
        "spo2": st.integers(50, 100),
        "glucose_mmol_l": st.floats(0.5, 50, allow_nan=False),
        "respiratory_rate": st.integers(4, 80),
        "consciousness": st.sampled_from(CONSCIOUSNESS),
    },
)
ages = st.one_of(st.none(), st.integers(0, 120))
urgencies = st.sampled_from(["emergency", "urgent", "routine"])
tops = st.lists(
    st.builds(RankedUrgency, st.just("c"), st.just("病"), st.just("c"), urgencies), max_size=5
)


@given(evidences, vitals, ages, tops, st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_finding_never_lowers_the_level(evidence, vit, age, top, flag):
    before = triage(evidence, vit, age, top).level
    after = triage({**evidence, flag: "present"}, vit, age, top).level
    assert SEVERITY[after] >= SEVERITY[before]


@given(evidences, vitals, ages, tops)
def test_the_model_cannot_hide_a_red_flag(evidence, vit, age, top):
    without_model = triage(evidence, vit, age, [])
    with_model = triage(evidence, vit, age, top)
    assert SEVERITY[with_model.level] >= SEVERITY[without_model.level]
    assert set(without_model.reasons) <= set(with_model.reasons)


@given(evidences, vitals, ages, tops)
def test_the_level_is_the_most_severe_reason(evidence, vit, age, top):
    decision = triage(evidence, vit, age, top)
    if decision.reasons:
        assert decision.level == max((r.level for r in decision.reasons), key=SEVERITY.get)
    else:
        assert decision.level == Level.treat_here
