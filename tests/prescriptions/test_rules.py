"""The prescribing rules without a database: each at its boundary, arithmetic by property."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.prescriptions import rules
from gpassist.prescriptions.knowledge import (
    allergy_classes,
    interaction_table,
    read_allergy_classes,
    read_interactions,
)
from gpassist.prescriptions.rules import DrugFacts, Frequency, LineDraft, PatientFacts
from tests.conftest import DEMO_COUNTY
from tests.prescriptions.helpers import demo_catalog

DEMO_INTERACTIONS = read_interactions(DEMO_COUNTY / "interactions.yaml")
INTERACTIONS = interaction_table(DEMO_INTERACTIONS)


def facts(code: str) -> DrugFacts:
    d = demo_catalog()[code]
    return DrugFacts(
        code=d.code,
        name_zh=d.generic_name.zh,
        name_en=d.generic_name.en,
        generic_group=d.generic_group,
        strength_value=d.strength_value,
        dose_unit=d.dose_unit,
        max_daily_dose=d.max_daily_dose,
        max_daily_dose_per_kg=d.max_daily_dose_per_kg,
        pregnancy=d.pregnancy.value,
        adult_doses_only=d.dose_source is not None,
    )


ADULT = PatientFacts(age_years=50, weight_kg=60, pregnant=False)


def draft(code: str, dose: float, freq: str = "qd", days: int = 7, quantity: int | None = None):
    drug = facts(code)
    q = quantity or rules.units_needed(dose, Frequency(freq), days, drug.strength_value)
    return LineDraft(drug, dose, Frequency(freq), days, q)


def check(lines, patient=ADULT, long_reason=None):
    found = rules.check_prescription(
        lines,
        patient,
        long_reason=long_reason,
        interactions=INTERACTIONS,
        allergy_classes=allergy_classes(),
    )
    return {(r.field, r.code) for r in found}


FIVE = [
    "amlodipine-5mg-tab",
    "metformin-0.5g-tab",
    "atorvastatin-20mg-tab",
    "aspirin-100mg-ectab",
    "omeprazole-20mg-eccap",
    "loratadine-10mg-tab",
]


def test_five_drugs_pass_six_are_refused():
    lines = [draft(code, facts(code).strength_value) for code in FIVE]
    assert check(lines[:5]) == set()
    assert check(lines) == {("body.lines", "too_many_drugs")}


def test_the_same_drug_twice_even_in_another_strength():
    lines = [draft("metformin-0.5g-tab", 500), draft("metformin-0.25g-tab", 250)]
    assert check(lines) == {("body.lines.1.drug", "duplicate_drug")}


def test_seven_days_standard_eight_refused():
    assert check([draft("amlodipine-5mg-tab", 5, days=7)]) == set()
    assert check([draft("amlodipine-5mg-tab", 5, days=8)]) == {
        ("body.lines.0.days", "too_many_days")
    }


def test_long_prescription_needs_enrolment_and_a_reason_after_four_weeks():
    enrolled = PatientFacts(age_years=60, weight_kg=None, pregnant=False, chronic_enrolled=True)
    assert check([draft("amlodipine-5mg-tab", 5, days=28)], enrolled) == set()
    assert check([draft("amlodipine-5mg-tab", 5, days=29)], enrolled) == {
        ("body.long_prescription_reason", "missing")
    }
    assert check([draft("amlodipine-5mg-tab", 5, days=84)], enrolled, "病情稳定，路远") == set()
    assert check([draft("amlodipine-5mg-tab", 5, days=85)], enrolled, "病情稳定，路远") == {
        ("body.lines.0.days", "too_many_days")
    }


def test_quantity_beyond_the_days_is_refused():
    # 5 mg once a day for 7 days: 7 tablets of 5 mg, not 8.
    assert check([draft("amlodipine-5mg-tab", 5, quantity=7)]) == set()
    assert check([draft("amlodipine-5mg-tab", 5, quantity=8)]) == {
        ("body.lines.0.quantity", "quantity_exceeds_days")
    }


def test_dose_at_the_maximum_passes_above_is_refused():
    # Amlodipine: at most 10 mg a day.
    assert check([draft("amlodipine-5mg-tab", 5, "bid")]) == set()
    assert check([draft("amlodipine-5mg-tab", 7.5, "bid")]) == {
        ("body.lines.0.dose", "dose_above_maximum")
    }


def test_child_dose_by_weight():
    # Amoxicillin: 90 mg/kg/day. A 10 kg child: 900 mg a day at most.
    child = PatientFacts(age_years=3, weight_kg=10, pregnant=False)
    assert check([draft("amoxicillin-0.25g-cap", 300, "tid")], child) == set()
    assert check([draft("amoxicillin-0.25g-cap", 301, "tid")], child) == {
        ("body.lines.0.dose", "dose_above_child_maximum")
    }
    unweighed = PatientFacts(age_years=3, weight_kg=None, pregnant=False)
    assert check([draft("amoxicillin-0.25g-cap", 100, "tid")], unweighed) == {
        ("body.weight_kg", "missing")
    }
    # From the 14th birthday the adult limits apply.
    teenager = PatientFacts(age_years=14, weight_kg=10, pregnant=False)
    assert check([draft("amoxicillin-0.25g-cap", 301, "tid")], teenager) == set()


def test_a_machine_drafted_label_dose_is_an_adult_dose_refused_for_a_child():
    lianhua = "neml18-492-6g-gran"  # 连花清瘟颗粒 6 g, label dose 1 sachet three times a day
    child = PatientFacts(age_years=8, weight_kg=25, pregnant=False)
    assert check([draft(lianhua, 6, "tid")], child) == {("body.lines.0.drug", "child_dose_unknown")}
    teenager = PatientFacts(age_years=14, weight_kg=45, pregnant=False)
    assert check([draft(lianhua, 6, "tid")], teenager) == set()
    assert check([draft(lianhua, 6.5, "tid")], teenager) == {
        ("body.lines.0.dose", "dose_above_maximum")
    }
    # a hand-entered patent medicine keeps its adult maximum for a child, as before
    assert check([draft("ganmao-qingre-gran-12g", 12, "bid")], child) == set()


def test_pregnancy_contraindication():
    pregnant = PatientFacts(age_years=28, weight_kg=60, pregnant=True)
    assert check([draft("atorvastatin-20mg-tab", 20)], pregnant) == {
        ("body.lines.0.drug", "contraindicated_in_pregnancy")
    }
    assert check([draft("amoxicillin-0.25g-cap", 500, "tid")], pregnant) == set()
    assert check([draft("atorvastatin-20mg-tab", 20)]) == set()


def test_a_list_product_without_a_reviewed_maximum_is_refused_not_unlimited():
    # lisinopril came into the catalog with the essential medicines list; no limit was reviewed
    assert facts("lisinopril-5mg-tab").max_daily_dose is None
    assert check([draft("lisinopril-5mg-tab", 5)]) == {("body.lines.0.drug", "dose_limit_unknown")}
    assert check([draft("lisinopril-5mg-tab", 5000)]) == {
        ("body.lines.0.drug", "dose_limit_unknown")
    }


def test_an_unknown_pregnancy_safety_is_refused_for_a_pregnant_patient_only():
    unknown = DrugFacts("x", "甲药", "drug x", "x", 1.0, "mg", 10.0, pregnancy="unknown")
    line = LineDraft(unknown, 1.0, Frequency.qd, 3, 3)
    pregnant = PatientFacts(age_years=28, weight_kg=60, pregnant=True)
    assert check([line], pregnant) == {("body.lines.0.drug", "pregnancy_safety_unknown")}
    assert check([line]) == set()


@pytest.mark.parametrize(
    ("allergy", "code", "refused"),
    [
        ("青霉素", "amoxicillin-0.25g-cap", True),  # the class
        ("penicillin", "amoxicillin-clavulanate-0.457g-tab", True),
        ("阿莫西林", "amoxicillin-0.25g-cap", True),  # a name within the drug's name
        ("头孢", "amoxicillin-0.25g-cap", False),
        ("青霉素", "cefalexin-0.25g-cap", False),
        ("胶", "amoxicillin-0.25g-cap", False),  # one character is not an allergy to match
        # as doctors write it: the word 过敏 / allergy must not hide the drug
        ("青霉素过敏", "amoxicillin-0.25g-cap", True),
        ("阿莫西林过敏史", "amoxicillin-0.25g-cap", True),
        ("Penicillin allergy", "amoxicillin-0.25g-cap", True),
        ("磺胺类过敏。", "co-trimoxazole-tab", True),
        ("过敏", "amoxicillin-0.25g-cap", False),
        ("胶过敏", "amoxicillin-0.25g-cap", False),
    ],
)
def test_allergies(allergy, code, refused):
    patient = PatientFacts(age_years=40, weight_kg=60, pregnant=False, allergies=(allergy,))
    drug = facts(code)
    lines = [LineDraft(drug, drug.strength_value, Frequency.tid, 5, 15)]
    assert (("body.lines.0.drug", "allergy") in check(lines, patient)) is refused


def test_interaction_between_two_lines_names_both():
    lines = [draft("simvastatin-20mg-tab", 20), draft("clarithromycin-0.25g-tab", 250, "bid")]
    found = rules.check_prescription(lines, ADULT, interactions=INTERACTIONS)
    (refusal,) = found
    assert refusal.field == "body.lines.1.drug" and refusal.code == "interaction"
    assert "line 1" in refusal.en and "FDA" in refusal.en and "第 1 行" in refusal.zh


def test_interaction_with_a_drug_the_patient_takes():
    patient = PatientFacts(
        age_years=70, weight_kg=60, pregnant=False, current_drugs=(facts("warfarin-2.5mg-tab"),)
    )
    assert check([draft("ibuprofen-0.2g-tab", 200, "tid", days=3)], patient) == {
        ("body.lines.0.drug", "interaction_with_current")
    }
    assert check([draft("paracetamol-0.5g-tab", 500, "tid", days=3)], patient) == set()


def test_every_refusal_is_bilingual():
    lines = [draft(code, facts(code).strength_value * 5, days=30) for code in FIVE]
    found = rules.check_prescription(
        lines, PatientFacts(age_years=2, weight_kg=None, pregnant=True)
    )
    assert found and all(r.zh and r.en and r.field.startswith("body.") for r in found)


def test_interaction_and_allergy_files_name_catalog_groups():
    groups = {d.generic_group for d in demo_catalog().values()}
    assert DEMO_INTERACTIONS.groups() <= groups
    assert {g for c in read_allergy_classes().classes for g in c.groups} <= groups
    assert all(len(e.source) > 10 for e in DEMO_INTERACTIONS.interactions)


@given(
    dose=st.floats(min_value=0.01, max_value=5000, allow_nan=False),
    frequency=st.sampled_from(list(Frequency)),
    days=st.integers(min_value=1, max_value=84),
    strength=st.floats(min_value=0.01, max_value=5000, allow_nan=False),
)
def test_units_needed_is_the_least_whole_number_that_covers_the_days(
    dose, frequency, days, strength
):
    units = rules.units_needed(dose, frequency, days, strength)
    need = dose * rules.TIMES_PER_DAY[frequency] * days
    assert units >= 1
    assert units * strength >= need * (1 - 1e-9)
    if units > 1:
        assert (units - 1) * strength < need * (1 + 1e-9)
    # And that quantity is never refused as "more than the days need".
    drug = DrugFacts("x", "甲", "x", "x", strength, "mg", max_daily_dose=math.inf)
    line = LineDraft(drug, dose, frequency, days, units)
    assert rules.check_quantities([line]) == []


@given(
    max_daily=st.floats(min_value=0.1, max_value=10_000, allow_nan=False),
    times=st.sampled_from(list(Frequency)),
    factor=st.floats(min_value=0.01, max_value=3, allow_nan=False),
)
def test_dose_check_refuses_exactly_above_the_maximum(max_daily, times, factor):
    dose = max_daily * factor / rules.TIMES_PER_DAY[times]
    drug = DrugFacts("x", "甲", "x", "x", 1.0, "mg", max_daily_dose=max_daily)
    line = LineDraft(drug, dose, times, 1, 1)
    refused = bool(rules.check_doses([line], ADULT))
    daily = dose * rules.TIMES_PER_DAY[times]
    assert refused == (daily > max_daily + 1e-9)
