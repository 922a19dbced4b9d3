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


def fired(decision):
    """The rule reasons, without the early-warning scores every set of vitals now brings."""
    return [r for r in decision.reasons if not r.field.startswith("score.")]


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
    ({"spo2": 95}, 50, Level.treat_here, None),
    ({"spo2": 94}, 50, Level.refer, "hypoxaemia"),  # was < 92: issue 13, pre-triage level 3
    ({"spo2": 92}, 8, Level.refer, "hypoxaemia"),
    ({"spo2": 92}, 50, Level.refer, "hypoxaemia"),
    # below 92 %: a single NEWS2 red parameter at a clinic without oxygen (was < 90 %)
    ({"spo2": 91}, 50, Level.emergency, "hypoxaemia_severe"),
    ({"spo2": 91}, 16, Level.emergency, "hypoxaemia_severe"),
    ({"spo2": 89}, 50, Level.emergency, "hypoxaemia_severe"),
    ({"spo2": 91}, 15, Level.emergency, "hypoxaemia_child"),
    ({"spo2": 91}, 8, Level.emergency, "hypoxaemia_child"),
    ({"consciousness": "alert"}, 50, Level.treat_here, None),
    ({"consciousness": "confused"}, 50, Level.emergency, "not_alert"),
    ({"consciousness": "unresponsive"}, 50, Level.emergency, "not_alert"),
    ({"temperature_c": 40.9}, 30, Level.treat_here, None),
    ({"temperature_c": 41.0}, 30, Level.emergency, "hyperpyrexia"),
    ({"temperature_c": 37.9}, 0, Level.treat_here, None),
    # age 0 without the months could be under 3 months (NICE red): see MONTHS below
    ({"temperature_c": 38.0}, 0, Level.emergency, "fever_under_3_months"),
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
    ({"heart_rate": 149}, 70, Level.refer, "tachycardia"),
    ({"heart_rate": 150}, 70, Level.emergency, "tachycardia_severe_adult"),
    ({"heart_rate": 150}, 15, Level.refer, "tachycardia"),
    ({"heart_rate": 51}, 40, Level.treat_here, None),
    ({"heart_rate": 50}, 40, Level.refer, "bradycardia"),  # was <= 40: pre-triage level 2
    ({"heart_rate": 40}, 40, Level.refer, "bradycardia"),
    ({"heart_rate": 39}, 40, Level.emergency, "bradycardia_severe"),
    ({"heart_rate": 39}, 15, Level.refer, "bradycardia"),
    ({"heart_rate": 60}, 8, Level.treat_here, None),
    ({"heart_rate": 59}, 8, Level.refer, "bradycardia_child"),
    ({"heart_rate": 59}, 12, Level.treat_here, None),
    ({"respiratory_rate": 24}, 40, Level.treat_here, None),
    ({"respiratory_rate": 29}, 14, Level.treat_here, None),  # PEWS at 14: 9 above normal
    ({"respiratory_rate": 30}, 40, Level.refer, "fast_breathing_adult"),
    ({"sbp": 80, "dbp": 50}, 30, Level.refer, "low_blood_pressure"),
    ({"sbp": 79, "dbp": 50}, 30, Level.emergency, "shock"),
    ({"sbp": 79, "dbp": 50}, 12, Level.emergency, "shock"),
    ({"sbp": 79, "dbp": 50}, 11, Level.treat_here, None),
    ({"respiratory_rate": 35}, 6, Level.treat_here, None),
    ({"respiratory_rate": 9}, 40, Level.treat_here, None),
    ({"respiratory_rate": 8}, 40, Level.emergency, "slow_breathing"),
]


@pytest.mark.parametrize(("vitals", "age", "expected", "rule"), VITAL_BOUNDARIES)
def test_vital_sign_boundaries(vitals, age, expected, rule):
    decision = triage({}, vitals, age)
    assert decision.level == expected
    assert [r.code for r in fired(decision)] == ([rule] if rule else [])
    if rule:
        reason = fired(decision)[0]
        field = reason.field.removeprefix("vitals.")
        assert vitals[field] == reason.value  # the reading that fired is named
        assert reason.zh and reason.en and reason.source_zh and reason.source_en


def test_one_reason_per_reading_the_most_severe():
    decision = triage({}, {"spo2": 85, "temperature_c": 41.2}, 0)
    assert decision.level == Level.emergency
    assert sorted(r.code for r in fired(decision)) == ["hyperpyrexia", "hypoxaemia_child"]


# --- known COPD: SpO2 88–91 % is its target (NEWS2 scale 2), referred, not sent by ambulance --

COPD_EXCEPTION = [
    # (evidence, spo2, age, expected level, source of the reason)
    ({"history-copd": P}, 92, 70, Level.refer, "cn_triage_2018"),
    ({"history-copd": P}, 91, 70, Level.refer, "bts_oxygen_2017"),
    ({"history-copd": P}, 88, 70, Level.refer, "bts_oxygen_2017"),
    ({"history-copd": P}, 87, 70, Level.emergency, "news2_2017"),
    ({"history-copd": "absent"}, 91, 70, Level.emergency, "news2_2017"),
    ({}, 88, 70, Level.emergency, "news2_2017"),
    ({"history-copd": P}, 90, 12, Level.emergency, "nice_ng9"),  # a child's rule has no exception
]


@pytest.mark.parametrize(("evidence", "spo2", "age", "expected", "source"), COPD_EXCEPTION)
def test_known_copd_is_referred_within_its_oxygen_target(evidence, spo2, age, expected, source):
    decision = triage(evidence, {"spo2": spo2}, age)
    assert decision.level == expected
    reason = next(r for r in fired(decision) if r.field == "vitals.spo2")
    assert reason.source == source and reason.value == spo2


def test_known_copd_is_a_modifier_not_a_red_flag():
    # the one stated way a finding lowers a level; red-flag codes only ever raise it
    book = load_rules()
    assert "history-copd" in book.modifier_codes()
    assert "history-copd" not in book.red_flag_codes()


# --- infants: age in months (NICE NG143 traffic light) -------------------------------------------

MONTHS = [
    # (temperature, age, age_months, expected level, rule that sets it)
    (38.0, 0, 2, Level.emergency, "fever_under_3_months"),
    (37.9, 0, 2, Level.treat_here, None),
    (38.0, 0, 0, Level.emergency, "fever_under_3_months"),
    (38.0, 0, 3, Level.refer, "fever_in_infant"),  # < 1 year, 38 °C: referred as before
    (39.0, 0, 3, Level.refer, "fever_3_to_6_months"),
    (39.0, 0, 5, Level.refer, "fever_3_to_6_months"),
    (38.9, 0, 5, Level.refer, "fever_in_infant"),
    (39.0, 0, 6, Level.refer, "fever_in_infant"),
    (38.0, 0, None, Level.emergency, "fever_under_3_months"),  # months unknown: could be < 3
    (38.0, None, 2, Level.emergency, "fever_under_3_months"),  # age from the months
    (39.0, 1, None, Level.treat_here, None),
    (39.0, 1, 14, Level.treat_here, None),
]


@pytest.mark.parametrize(("temperature", "age", "months", "expected", "rule"), MONTHS)
def test_an_infants_fever_by_months(temperature, age, months, expected, rule):
    decision = triage({}, {"temperature_c": temperature}, age, age_months=months)
    assert decision.level == expected
    rules = [r.code for r in fired(decision)]
    assert rules == ([rule] if rule else [])


def test_months_out_of_range_are_refused():
    with pytest.raises(ValueError, match="age_months"):
        triage({}, {}, 2, age_months=24)


INFANT_SIGNS = [
    ({"apnea": P}, 0, None, Level.emergency, "apnoea_in_young_child"),
    ({"apnea": P}, 1, 23, Level.emergency, "apnoea_in_young_child"),
    ({"apnea": P}, 2, None, Level.treat_here, None),  # an adult's sleep apnoea is no emergency
    ({"abnormal-color-of-lips": P}, 0, 1, Level.emergency, "abnormal_lip_colour_in_child"),
    ({"abnormal-color-of-lips": P}, 4, None, Level.emergency, "abnormal_lip_colour_in_child"),
    ({"abnormal-color-of-lips": P}, 5, None, Level.treat_here, None),
]


@pytest.mark.parametrize(("evidence", "age", "months", "expected", "rule"), INFANT_SIGNS)
def test_apnoea_or_cyanosis_in_a_young_child(evidence, age, months, expected, rule):
    decision = triage(evidence, {}, age, age_months=months)
    assert decision.level == expected
    assert [r.code for r in fired(decision)] == ([rule] if rule else [])


def test_severe_hypertension_with_end_organ_symptoms_is_an_emergency():
    vitals = {"sbp": 186, "dbp": 104}
    assert level({"headache": P}, vitals) == Level.emergency
    assert level({"头痛": P}, vitals) == Level.emergency  # the benchmark's Chinese vocabulary
    assert level({"Vision loss": P}, vitals) == Level.emergency  # and MDD's English one
    assert level({"headache": "absent"}, vitals) == Level.refer
    assert level({"headache": P}, {"sbp": 178, "dbp": 104}) == Level.treat_here
    (reason,) = fired(triage({"chest-pain": P}, vitals, 60))
    assert reason.code == "severe_hypertension" and "高血压急症" in reason.zh


def test_high_glucose_with_vomiting_or_fast_breathing_is_an_emergency():
    assert level({"vomiting": P}, {"glucose_mmol_l": 22.0}) == Level.emergency
    assert level({"breathing-fast": P}, {"glucose_mmol_l": 16.7}) == Level.emergency
    assert level({"vomiting": P}, {"glucose_mmol_l": 16.6}) == Level.treat_here


def test_hypoglycaemia_with_altered_consciousness_is_an_emergency():
    assert level({"confusion": P}, {"glucose_mmol_l": 3.9}) == Level.emergency
    assert level({"seizures": P}, {"glucose_mmol_l": 3.0}) == Level.emergency
    assert level({"confusion": "absent"}, {"glucose_mmol_l": 3.0}) == Level.refer
    reasons = fired(triage({"confusion": P}, {"glucose_mmol_l": 3.0}, 60))
    assert "严重低血糖" in next(r.zh for r in reasons if r.code == "hypoglycaemia")


# --- fever with fast breathing (qSOFA's respiratory rate), from 16 years ------------------------

FAST_BREATHING = [
    # (evidence, vitals, age, expected level, fires)
    ({"fever": P}, {"respiratory_rate": 22}, 16, Level.refer, True),
    ({"fever": P}, {"respiratory_rate": 21}, 16, Level.treat_here, False),
    ({}, {"respiratory_rate": 22, "temperature_c": 38.6}, 40, Level.refer, True),
    ({}, {"respiratory_rate": 22, "temperature_c": 37.2}, 40, Level.treat_here, False),
    ({"fever": "absent"}, {"respiratory_rate": 22}, 40, Level.treat_here, False),
    ({"fever": P}, {"respiratory_rate": 22}, 15, Level.treat_here, False),  # PEWS instead
]


@pytest.mark.parametrize(("evidence", "vitals", "age", "expected", "fires"), FAST_BREATHING)
def test_fever_with_fast_breathing(evidence, vitals, age, expected, fires):
    decision = triage(evidence, vitals, age)
    assert decision.level == expected
    assert ("fever_with_fast_breathing" in [r.code for r in decision.reasons]) == fires


def test_the_issue_13_presentations_are_no_longer_passed():
    # Fever with SpO2 92 % or with RR 22 passed every rule before issue 13.
    assert level({"fever": P, "cough": P}, {"temperature_c": 38.6, "spo2": 92}) == Level.refer
    assert level({"fever": P, "cough": P}, {"temperature_c": 38.6, "respiratory_rate": 22}) == (
        Level.refer
    )
    # Cough and fever with normal vital signs: treat here, never "call 120".
    normal = {"temperature_c": 38.6, "spo2": 97, "heart_rate": 96, "respiratory_rate": 18}
    assert level({"fever": P, "cough": P}, {**normal, "sbp": 124, "dbp": 78}) == Level.treat_here


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
    ({"嗜睡": P}, 5, Level.refer, None),  # PEWS behaviour 3 (lethargic) since issue 13
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
    # issue 13: red flags per presenting complaint
    ({"chest-pain-radiating": P}, 55, Level.emergency, "acute_chest_pain"),
    ({"chest-pain": P, "chest-pain-radiating": "absent"}, 55, Level.treat_here, None),
    ({"sudden-severe-headache": P}, 40, Level.emergency, "thunderclap_headache"),
    ({"headache": P}, 40, Level.treat_here, None),
    ({"confusion": P}, 70, Level.emergency, "new_confusion"),
    ({"confusion": "absent", "fever": P}, 70, Level.treat_here, None),
    ({"fever": P, "petechiae": P}, 6, Level.emergency, "fever_with_petechiae"),
    ({"petechiae": P}, 6, Level.treat_here, None),
    ({"fever": P, "neck-stiffness": P}, 20, Level.emergency, "fever_with_stiff_neck"),
    ({"fever": P, "exposure-tick-bite": P}, 60, Level.refer, "sfts_suspected"),
    ({"exposure-tick-bite": P}, 60, Level.treat_here, None),
    ({"fever": P, "low-platelets": P}, 60, Level.refer, "fever_with_low_platelets"),
    ({"low-platelets": P}, 60, Level.treat_here, None),
    ({"fever": P, "eschar": P}, 60, Level.refer, "fever_with_eschar"),
    ({"eschar": P}, 60, Level.treat_here, None),
    ({"mouth-ulcers-and-hand-rash": P, "vomiting": P}, 3, Level.emergency, "hfmd_severe_warning"),
    (
        {"mouth-ulcers-and-hand-rash": P, "abnormal-involuntary-movements": P},
        15,
        Level.emergency,
        "hfmd_severe_warning",
    ),
    ({"mouth-ulcers-and-hand-rash": P, "vomiting": P}, 16, Level.treat_here, None),
    ({"mouth-ulcers-and-hand-rash": P, "fever": P}, 3, Level.treat_here, None),
    ({"allergic-reaction": P, "wheezing": P}, 30, Level.emergency, "anaphylaxis"),
    ({"allergic-reaction": P, "throat-feels-tight": P}, 30, Level.emergency, "anaphylaxis"),
    ({"lip-swelling": P, "wheezing": P}, 30, Level.emergency, "anaphylaxis"),
    ({"allergic-reaction": P, "swollen-tongue": P}, 30, Level.treat_here, None),  # skin only
    ({"allergic-reaction": P}, 30, Level.treat_here, None),
    ({"wheezing": P}, 30, Level.treat_here, None),
    ({"lethargy-child": P}, 4, Level.emergency, "lethargic_child"),
    # issue 13 item 5: red flags per presenting complaint, each at its boundary
    # acute abdomen: obstruction needs all four of pain, vomiting, distension, no stool
    (
        {"abdominal-pain": P, "vomiting": P, "abdominal-distention": P, "constipation": P},
        50,
        Level.emergency,
        "bowel_obstruction",
    ),
    ({"腹痛": P, "呕吐": P, "腹胀": P, "便秘": P}, 50, Level.emergency, "bowel_obstruction"),
    ({"abdominal-pain": P, "vomiting": P, "abdominal-distention": P}, 50, Level.treat_here, None),
    ({"abdominal-pain": P, "vomiting": P, "constipation": P}, 50, Level.treat_here, None),
    (
        {"irritable-infant": P, "vomiting": P, "blood-in-stool": P},
        1,
        Level.emergency,
        "intussusception",
    ),
    ({"irritable-infant": P, "vomiting": P}, 1, Level.treat_here, None),
    ({"irritable-infant": P, "blood-in-stool": P}, 1, Level.treat_here, None),
    ({"abdominal-pain": P, "fever": P}, 65, Level.refer, "abdominal_pain_elderly"),
    ({"abdominal-pain": P, "fever": P}, 64, Level.treat_here, None),
    ({"abdominal-pain": P, "increased-heart-rate": P}, 80, Level.refer, "abdominal_pain_elderly"),
    ({"abdominal-pain": P}, 80, Level.treat_here, None),
    ({"right-lower-abdominal-pain": P, "fever": P}, 20, Level.refer, "appendicitis_suspected"),
    ({"right-lower-abdominal-pain": P}, 20, Level.treat_here, None),
    (
        {"upper-abdominal-pain": P, "back-pain": P, "vomiting": P},
        45,
        Level.refer,
        "pancreatitis_suspected",
    ),
    ({"upper-abdominal-pain": P, "vomiting": P}, 45, Level.treat_here, None),
    ({"upper-abdominal-pain": P, "back-pain": P}, 45, Level.treat_here, None),
    # cauda equina
    ({"low-back-pain": P, "retention-of-urine": P}, 45, Level.emergency, "cauda_equina"),
    ({"back-pain": P, "saddle-numbness": P}, 45, Level.emergency, "cauda_equina"),
    ({"腰痛": P, "bilateral-leg-weakness": P}, 45, Level.emergency, "cauda_equina"),
    ({"low-back-pain": P, "leg-weakness": P}, 45, Level.treat_here, None),  # one leg: sciatica
    ({"retention-of-urine": P}, 70, Level.treat_here, None),
    ({"low-back-pain": P}, 45, Level.treat_here, None),
    # eye: acute angle-closure glaucoma, red eye with reduced vision
    (
        {"pain-in-eye": P, "diminished-vision": P, "vomiting": P},
        65,
        Level.emergency,
        "acute_angle_closure",
    ),
    (
        {"pain-in-eye": P, "diminished-vision": P, "headache": P},
        65,
        Level.emergency,
        "acute_angle_closure",
    ),
    ({"pain-in-eye": P, "diminished-vision": P}, 65, Level.treat_here, None),
    ({"pain-in-eye": P, "eye-redness": P}, 30, Level.treat_here, None),
    ({"eye-redness": P, "diminished-vision": P}, 30, Level.refer, "red_eye_reduced_vision"),
    ({"eye-redness": P}, 30, Level.treat_here, None),
    # testicular torsion, to 25
    ({"pain-in-testicles": P}, 25, Level.emergency, "testicular_torsion"),
    ({"pain-in-testicles": P}, 12, Level.emergency, "testicular_torsion"),
    ({"pain-in-testicles": P}, 26, Level.treat_here, None),
    ({"swelling-of-scrotum": P}, 20, Level.treat_here, None),
    # airway
    ({"choking-episode": P}, 2, Level.emergency, "choking"),
    ({"choking-episode": P}, 70, Level.emergency, "choking"),
    ({"stridor": P}, 3, Level.emergency, "stridor"),
    ({"cough": P, "hoarse-voice": P}, 3, Level.treat_here, None),
    # poisoning
    ({"exposure-overdose": P}, 30, Level.emergency, "overdose"),
    ({"exposure-snake-bite": P}, 50, Level.emergency, "snake_bite"),
    ({"exposure-pesticide": P}, 50, Level.refer, "pesticide_exposure"),
    ({"exposure-pesticide": P, "nausea": P}, 50, Level.emergency, "pesticide_exposure"),
    ({"exposure-pesticide": P, "dizziness": P}, 50, Level.emergency, "pesticide_exposure"),
    ({"exposure-pesticide": P, "sweating": P}, 50, Level.emergency, "pesticide_exposure"),
    ({"nausea": P, "dizziness": P}, 50, Level.treat_here, None),
]


@pytest.mark.parametrize(("evidence", "age", "expected", "rule"), SYMPTOM_CASES)
def test_red_flag_symptoms(evidence, age, expected, rule):
    decision = triage(evidence, {}, age)
    assert decision.level == expected
    assert [r.code for r in fired(decision)] == ([rule] if rule else [])
    if rule:
        reason = fired(decision)[0]
        assert reason.field == "evidence"
        assert set(reason.value) <= {c for c, v in evidence.items() if v == P}
        assert reason.value


SYMPTOM_RULES = load_rules().symptom_rules


def _minimal_evidence(rule):
    """One code for each sign the rule needs (and its first companion sign)."""
    book = load_rules()
    signs = [*rule.all, *rule.any[:1]]
    return {sign: book.signs[sign].codes[0] for sign in signs}


@pytest.mark.parametrize("rule", SYMPTOM_RULES, ids=[r.code for r in SYMPTOM_RULES])
def test_every_red_flag_fires_only_with_each_of_its_signs(rule):
    needed = _minimal_evidence(rule)
    age = rule.max_age if rule.max_age is not None else (rule.min_age or 40)
    evidence = {code: P for code in needed.values()}
    decision = triage(evidence, {}, age)
    reason = next(r for r in decision.reasons if r.code == rule.code)
    assert reason.level == Level(rule.level) and reason.source == rule.source
    assert set(reason.value) == set(needed.values())
    for sign, code in needed.items():
        without = triage({**evidence, code: "absent"}, {}, age)
        assert rule.code not in [r.code for r in without.reasons], sign


@pytest.mark.parametrize(
    "rule", [r for r in SYMPTOM_RULES if r.max_age is not None or r.min_age is not None]
)
def test_every_age_limited_red_flag_stops_at_its_limit(rule):
    evidence = {code: P for code in _minimal_evidence(rule).values()}
    if rule.max_age is not None:
        assert rule.code in codes(evidence, age=rule.max_age)
        assert rule.code not in codes(evidence, age=rule.max_age + 1)
    if rule.min_age is not None:
        assert rule.code in codes(evidence, age=rule.min_age)
        assert rule.code not in codes(evidence, age=rule.min_age - 1)


def test_fever_after_a_tick_bite_with_bleeding_or_confusion_is_an_emergency():
    tick = {"fever": P, "exposure-tick-bite": P}
    for sign in ("nosebleed", "bleeding-gums", "petechiae", "vomiting-blood", "confusion"):
        decision = triage({**tick, sign: P}, {}, 60)
        assert decision.level == Level.emergency, sign
        sfts = next(r for r in decision.reasons if r.code == "sfts_suspected")
        assert sfts.level == Level.emergency and sign in sfts.value
    assert level({**tick, "nosebleed": "absent"}, age=60) == Level.refer
    platelets = {"fever": P, "low-platelets": P}
    assert level({**platelets, "blood-in-urine": P}, age=60) == Level.emergency
    # a measured fever is a fever
    assert level({"exposure-tick-bite": P}, {"temperature_c": 37.3}, 60) == Level.refer
    assert level({"exposure-tick-bite": P}, {"temperature_c": 37.2}, 60) == Level.treat_here


def test_a_painful_red_eye_with_reduced_vision_names_both_rules():
    decision = triage({"pain-in-eye": P, "diminished-vision": P, "eye-redness": P}, {}, 65)
    assert decision.level == Level.emergency
    assert [(r.code, r.level) for r in fired(decision)] == [
        ("acute_angle_closure", Level.emergency),
        ("red_eye_reduced_vision", Level.refer),
    ]


ESCALATIONS_BY_READING = [
    # (evidence, vitals, age, rule, expected level of the rule's reason)
    ({"abdominal-pain": P}, {"heart_rate": 100}, 70, "abdominal_pain_elderly", Level.refer),
    ({"abdominal-pain": P}, {"heart_rate": 99}, 70, None, None),
    ({"abdominal-pain": P}, {"temperature_c": 37.3}, 70, "abdominal_pain_elderly", Level.refer),
    (
        {"abdominal-pain": P, "fever": P},
        {"sbp": 90},
        70,
        "abdominal_pain_elderly",
        Level.emergency,
    ),
    (
        {"abdominal-pain": P, "fever": P},
        {"sbp": 91},
        70,
        "abdominal_pain_elderly",
        Level.refer,
    ),
    (
        {"upper-abdominal-pain": P, "back-pain": P, "vomiting": P},
        {"heart_rate": 110},
        45,
        "pancreatitis_suspected",
        Level.emergency,
    ),
    (
        {"upper-abdominal-pain": P, "back-pain": P, "vomiting": P},
        {"heart_rate": 109},
        45,
        "pancreatitis_suspected",
        Level.refer,
    ),
]


@pytest.mark.parametrize(("evidence", "vitals", "age", "rule", "expected"), ESCALATIONS_BY_READING)
def test_the_abdominal_red_flags_read_the_vital_signs(evidence, vitals, age, rule, expected):
    reasons = {r.code: r for r in triage(evidence, vitals, age).reasons}
    if rule is None:
        assert not {"abdominal_pain_elderly", "pancreatitis_suspected"} & set(reasons)
    else:
        assert reasons[rule].level == expected


def test_a_measured_fever_counts_for_the_fever_red_flags():
    decision = triage({"petechiae": P}, {"temperature_c": 38.0}, 6)
    (reason,) = fired(decision)
    assert reason.code == "fever_with_petechiae"
    assert reason.value == ("temperature_c=38.0", "petechiae")


# --- the model's ranking: a condition's urgency counts only when probable ----------------------


def ranked(code, urgency, probability):
    return RankedUrgency(code, f"病{code}", f"Condition {code}", urgency, probability)


MI = RankedUrgency("acute-myocardial-infarction", "急性心肌梗死", "Acute MI", "emergency", 0.5)
PNEUMONIA = RankedUrgency("pneumonia", "肺炎", "Pneumonia", "urgent", 0.4)
COLD = RankedUrgency("common-cold", "普通感冒", "Common cold", "routine", 0.3)


def test_an_emergency_in_the_top_three_forces_emergency_but_not_fourth():
    assert level(top=[COLD, COLD, MI]) == Level.emergency
    assert level(top=[COLD, COLD, COLD, MI]) == Level.treat_here
    (reason,) = triage({}, {}, 60, [COLD, MI]).reasons
    assert reason.code == "emergency_condition_in_top3"
    assert reason.value == ("acute-myocardial-infarction",)
    assert "急性心肌梗死 50%" in reason.zh and "Acute MI 50%" in reason.en


def test_an_urgent_condition_in_the_top_three_refers():
    assert level(top=[PNEUMONIA, COLD]) == Level.refer
    assert level(top=[COLD, COLD, COLD]) == Level.treat_here
    assert codes(top=[PNEUMONIA, MI]) == ["emergency_condition_in_top3", "urgent_condition_in_top3"]


CONDITION_THRESHOLDS = [
    # (ranked conditions, expected level, reason codes)
    ([ranked("a", "emergency", 0.30)], Level.emergency, ["emergency_condition_in_top3"]),
    ([ranked("a", "emergency", 0.2999)], Level.treat_here, ["emergency_condition_considered"]),
    (
        [ranked("a", "emergency", 0.15), ranked("b", "emergency", 0.15)],
        Level.emergency,
        ["emergency_condition_in_top3"],
    ),
    (
        [ranked("a", "emergency", 0.16), ranked("b", "emergency", 0.14)],
        Level.treat_here,
        ["emergency_condition_considered"],
    ),
    ([ranked("a", "urgent", 0.30)], Level.refer, ["urgent_condition_in_top3"]),
    ([ranked("a", "urgent", 0.2999)], Level.treat_here, ["urgent_condition_considered"]),
    # an emergency below its own limit still counts towards refer
    (
        [ranked("a", "emergency", 0.20), ranked("b", "urgent", 0.15)],
        Level.refer,
        ["urgent_condition_in_top3", "emergency_condition_considered"],
    ),
    (
        [ranked("a", "emergency", 0.20), ranked("b", "urgent", 0.14)],
        Level.treat_here,
        ["emergency_condition_considered", "urgent_condition_considered"],
    ),
    ([ranked("a", "routine", 0.99)], Level.treat_here, []),
]


def refer_only(code, urgency, probability):
    return RankedUrgency(code, f"病{code}", f"Condition {code}", urgency, probability, "refer")


CONDITION_THRESHOLDS += [
    # care: refer (e.g. suspected pulmonary TB, chronic hepatitis B): refer at the same limit
    ([refer_only("tb", "routine", 0.30)], Level.refer, ["refer_only_condition_in_top3"]),
    ([refer_only("tb", "routine", 0.2999)], Level.treat_here, ["refer_only_condition_considered"]),
    (
        [refer_only("a", "routine", 0.15), refer_only("b", "routine", 0.15)],
        Level.refer,
        ["refer_only_condition_in_top3"],
    ),
    (
        [refer_only("a", "routine", 0.16), refer_only("b", "routine", 0.14)],
        Level.treat_here,
        ["refer_only_condition_considered"],
    ),
    (
        [ranked("c", "routine", 0.5), ranked("d", "routine", 0.2), refer_only("e", "routine", 0.3)],
        Level.refer,
        ["refer_only_condition_in_top3"],
    ),
    (
        [
            ranked("c", "routine", 0.4),
            ranked("d", "routine", 0.2),
            ranked("f", "routine", 0.1),
            refer_only("e", "routine", 0.3),
        ],
        Level.treat_here,
        [],  # fourth: not in the top three
    ),
    # counted once: an urgent refer-only condition is claimed by the urgent rule
    ([refer_only("tb", "urgent", 0.40)], Level.refer, ["urgent_condition_in_top3"]),
    ([ranked("hbv", "routine", 0.40)], Level.treat_here, []),  # care: village by default
]


@pytest.mark.parametrize(("top", "expected", "reasons"), CONDITION_THRESHOLDS)
def test_a_condition_counts_only_above_its_probability(top, expected, reasons):
    decision = triage({}, {}, 40, top)
    assert decision.level == expected
    assert sorted(r.code for r in decision.reasons) == sorted(reasons)


def test_a_refer_only_condition_names_itself_in_the_reason():
    decision = triage({}, {}, 40, [refer_only("tuberculosis", "routine", 0.45)])
    (reason,) = decision.reasons
    assert reason.value == ("tuberculosis",) and "病tuberculosis 45%" in reason.zh
    assert reason.source == "kb_care" and reason.source_zh


def test_a_condition_rule_needs_urgency_or_care_not_both():
    from pydantic import ValidationError

    from gpassist.diagnosis.triage import ConditionRule

    rule = load_rules().condition_rules[0].model_dump()
    with pytest.raises(ValidationError, match="either urgency or care"):
        ConditionRule.model_validate({**rule, "care": "refer"})
    with pytest.raises(ValidationError, match="either urgency or care"):
        ConditionRule.model_validate({**rule, "urgency": None})


def test_improbable_emergencies_are_listed_as_considered():
    # canker sores must not become an emergency through a 14 % hyperosmolar state
    top = [
        ranked("canker-sore", "routine", 0.70),
        ranked("hyperosmotic-hyperketotic-state", "emergency", 0.14),
    ]
    decision = triage({"mouth-ulcer": P}, {}, 30, top)
    assert decision.level == Level.treat_here
    (reason,) = decision.reasons
    assert reason.code == "emergency_condition_considered" and reason.level == Level.treat_here
    assert reason.value == ("hyperosmotic-hyperketotic-state",)
    assert "14%" in reason.en and "30%" in reason.en and "未达30%" in reason.zh


def test_cough_and_fever_with_normal_vitals_never_says_call_120():
    top = [
        ranked("myocarditis", "emergency", 0.25),
        ranked("flu", "routine", 0.20),
        ranked("meningitis", "emergency", 0.10),
    ]
    vitals = {"temperature_c": 38.6, "spo2": 97, "heart_rate": 90, "respiratory_rate": 18}
    decision = triage({"fever": P, "cough": P}, vitals, 35, top)
    assert decision.level == Level.treat_here
    assert "emergency_condition_considered" in [r.code for r in decision.reasons]


def test_reasons_come_most_severe_first():
    decision = triage({"melena": P, "fainting": P}, {"spo2": 91}, 50, [PNEUMONIA])
    severities = [SEVERITY[r.level] for r in decision.reasons]
    assert severities == sorted(severities, reverse=True)
    assert decision.level == Level.emergency and decision.reasons[0].code == "fainting"


def test_an_unknown_age_applies_the_age_limited_rules():
    # an unknown age could be under 3 months: a fever of 38 °C is then NICE red
    assert level(vitals={"temperature_c": 38.2}, age=None) == Level.emergency
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
    book = load_rules()
    missing = sorted((book.red_flag_codes() | book.modifier_codes()) - vocabulary)
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
        "supplemental_oxygen": st.booleans(),
    },
)
ages = st.one_of(st.none(), st.integers(0, 120))
urgencies = st.sampled_from(["emergency", "urgent", "routine"])
probabilities = st.floats(0, 1, allow_nan=False)
tops = st.lists(
    st.builds(
        RankedUrgency,
        st.sampled_from(["c1", "c2", "c3"]),
        st.just("病"),
        st.just("c"),
        urgencies,
        probabilities,
        st.sampled_from(["village", "refer"]),
    ),
    max_size=5,
)
readings = st.one_of(
    st.tuples(st.just("sbp"), st.integers(60, 300)),
    st.tuples(st.just("heart_rate"), st.integers(20, 250)),
    st.tuples(st.just("temperature_c"), st.floats(30, 45, allow_nan=False)),
    st.tuples(st.just("spo2"), st.integers(50, 100)),
    st.tuples(st.just("glucose_mmol_l"), st.floats(0.5, 50, allow_nan=False)),
    st.tuples(st.just("respiratory_rate"), st.integers(4, 80)),
    st.tuples(st.just("consciousness"), st.sampled_from(CONSCIOUSNESS)),
    st.tuples(st.just("supplemental_oxygen"), st.booleans()),
)


@given(evidences, vitals, ages, tops, st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_finding_never_lowers_the_level(evidence, vit, age, top, flag):
    before = triage(evidence, vit, age, top).level
    after = triage({**evidence, flag: "present"}, vit, age, top).level
    assert SEVERITY[after] >= SEVERITY[before]


@given(evidences, vitals, ages, tops, readings)
def test_adding_a_vital_sign_never_lowers_the_level(evidence, vit, age, top, reading):
    field, value = reading
    if field in vit:
        return  # adding, not changing, a reading
    before = triage(evidence, vit, age, top).level
    after = triage(evidence, {**vit, field: value}, age, top).level
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


@given(evidences, vitals, ages, tops)
def test_red_flags_and_scores_never_read_the_ranking(evidence, vit, age, top):
    without_model = triage(evidence, vit, age, [])
    with_model = triage(evidence, vit, age, top)
    assert [r for r in with_model.reasons if r.field != "differential"] == list(
        without_model.reasons
    )
    assert with_model.scores == without_model.scores


def test_every_vital_rule_has_a_boundary_case_above():
    covered = {rule for *_, rule in (*VITAL_BOUNDARIES, *MONTHS)} | {"fever_with_fast_breathing"}
    assert {rule.code for rule in load_rules().vital_rules} <= covered
