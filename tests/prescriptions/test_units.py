"""Doses in the product's own unit: the dose form a catalog product implies, counts converted to
the ingredient amount the limits are written in, and the smallest divisible part (properties)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gpassist.prescriptions import rules
from gpassist.prescriptions.units import DoseForm, derive_dose_form, dose_text, format_count

TABLET = DoseForm("片", "tablet", 500.0, 0.5, "g")  # paracetamol 0.5 g, halves allowed
PARACETAMOL = rules.DrugFacts(
    code="paracetamol-0.5g-tab",
    name_zh="对乙酰氨基酚片",
    name_en="Paracetamol tablets",
    generic_group="paracetamol",
    strength_value=500,
    dose_unit="mg",
    max_daily_dose=2000,
    dose_form=TABLET,
    max_single_dose=1000,
)
ADULT = rules.PatientFacts(age_years=40, weight_kg=60, pregnant=False)


def derived(**given):
    base = {
        "kind": "western",
        "form_zh": "片剂",
        "unit_zh": "片",
        "unit_en": "tablet",
        "dose_unit": "mg",
        "strength": "0.5 g",
        "strength_value": 500,
    }
    return derive_dose_form(**{**base, **given})


def test_a_plain_tablet_halves_a_modified_release_one_does_not():
    assert derived() == DoseForm("片", "tablet", 500, 0.5)
    assert derived(form_zh="缓释片").step == 1
    assert derived(form_zh="肠溶片").step == 1
    assert derived(kind="chinese_patent").step == 1  # 中成药片 whole


def test_capsules_sachets_and_own_units_are_whole():
    assert derived(form_zh="胶囊", unit_zh="粒", unit_en="capsule").step == 1
    assert derived(form_zh="颗粒剂", unit_zh="袋", unit_en="sachet", dose_unit="g").step == 1
    assert derived(dose_unit="cap", unit_zh="粒", strength_value=1) == DoseForm(
        "粒", "capsule", 1, 1
    )


def test_a_bottle_of_suspension_is_dosed_in_ml_from_its_strength():
    form = derived(
        form_zh="口服混悬液",
        unit_zh="瓶",
        unit_en="bottle",
        strength="100 ml:2 g（20 mg/ml）",
        strength_value=2000,
    )
    assert (form.unit_zh, form.amount) == ("ml", 20)


def test_an_inhaler_is_dosed_in_puffs_and_insulin_in_units():
    inhaler = derived(
        form_zh="吸入气雾剂",
        unit_zh="支",
        dose_unit="mcg",
        strength="100 μg/揿 × 200 揿",
        strength_value=20000,
    )
    assert (inhaler.unit_zh, inhaler.amount, inhaler.step) == ("揿", 100, 1)
    insulin = derived(
        form_zh="注射液",
        unit_zh="支",
        dose_unit="IU",
        strength="3 ml:300 IU",
        strength_value=300,
        generic_group="insulin-human-premix",
    )
    assert (insulin.unit_zh, insulin.amount) == ("单位", 1)


def test_the_dose_is_shown_as_a_count_with_the_strength():
    assert dose_text(TABLET, 1, "mg") == "1 片（0.5 g）"
    assert dose_text(TABLET, 0.5, "mg") == "½ 片（0.25 g）"
    assert dose_text(TABLET, 1.5, "mg", "en") == "1½ tablet (0.75 g)"
    assert dose_text(DoseForm("ml", "ml", 1, 0.5), 10, "ml") == "10 ml"


@given(st.integers(min_value=1, max_value=200), st.sampled_from([0.05, 0.1, 0.25, 0.5, 1.0]))
def test_whole_numbers_of_the_smallest_part_can_be_given(parts, step):
    form = DoseForm("片", "tablet", 37.5, step)
    count = parts * step
    assert form.divisible(count)
    assert form.to_count(form.to_amount(count)) == pytest.approx(count)


@given(st.floats(min_value=1e-6, max_value=0.49))
def test_less_than_half_a_tablet_cannot_be_given(count):
    assert not TABLET.divisible(count)


@given(st.integers(min_value=0, max_value=20), st.sampled_from([0.1, 0.2, 0.3, 0.4]))
def test_a_tablet_that_halves_cannot_be_given_in_tenths(whole, tenth):
    assert not TABLET.divisible(whole + tenth)


def line(count: float, frequency=rules.Frequency.tid, field="dose_count") -> rules.LineDraft:
    dose = TABLET.to_amount(count)
    quantity = rules.units_needed(dose, frequency, 3, 500)
    return rules.LineDraft(PARACETAMOL, dose, frequency, 3, quantity, field)


def test_a_tenth_of_a_tablet_is_refused_in_chinese():
    (refusal,) = rules.check_prescription([line(0.1)], ADULT)
    assert refusal.field == "body.lines.0.dose_count"
    assert refusal.code == "dose_below_smallest_part"
    assert "少于本品最小可分剂量 ½ 片（0.25 g）" in refusal.zh


def test_half_a_milligram_typed_as_the_dose_is_refused():
    """The issue's 0.5 for a 0.5 g tablet: 0.5 mg is 0.001 片, no longer 0.03 元 without a word."""
    draft = rules.LineDraft(PARACETAMOL, 0.5, rules.Frequency.tid, 3, 1)
    (refusal,) = rules.check_dose_steps([draft])
    assert refusal.field == "body.lines.0.dose" and refusal.code == "dose_below_smallest_part"


def test_more_than_the_daily_maximum_is_refused_in_tablets():
    (refusal,) = rules.check_doses([line(2, rules.Frequency.qid)], ADULT)
    assert refusal.code == "dose_above_maximum"
    assert "日剂量 8 片（4 g）" in refusal.zh and "最大日剂量 4 片（2 g）" in refusal.zh


def test_more_than_the_single_maximum_is_refused():
    (refusal,) = rules.check_doses([line(3, rules.Frequency.qd)], ADULT)
    assert refusal.code == "single_dose_above_maximum" and "3 片（1.5 g）" in refusal.zh


@given(
    st.integers(min_value=1, max_value=6).map(lambda halves: halves * 0.5),
    st.sampled_from(list(rules.Frequency)),
)
def test_a_dose_is_refused_exactly_when_a_limit_is_passed(count, frequency):
    refused = {r.code for r in rules.check_doses([line(count, frequency)], ADULT)}
    daily = count * 500 * rules.TIMES_PER_DAY[frequency]
    expected = count * 500 > 1000 or daily > 2000
    assert bool(refused) == expected


def test_counts_read_as_a_doctor_writes_them():
    assert [format_count(c) for c in (1, 0.5, 1.5, 0.25, 2.5, 10, 0.1)] == [
        "1",
        "½",
        "1½",
        "¼",
        "2½",
        "10",
        "0.1",
    ]


def test_every_catalog_product_has_a_usable_dose_form():
    from gpassist.clinics.dosing import dose_form_columns
    from gpassist.clinics.loader import read_registry
    from tests.conftest import DEMO_COUNTY

    for drug in read_registry(DEMO_COUNTY).drugs.drugs:
        form = dose_form_columns(drug)
        assert form["dose_form_amount"] > 0 and 0 < form["dose_form_step"] <= 1, drug.code
        if drug.unit.zh in {"片", "粒", "袋", "丸"}:
            assert form["dose_form_zh"] == drug.unit.zh, drug.code  # counted as dispensed
        if drug.usual_daily_dose and drug.kind.value == "western" and drug.unit.zh == "片":
            # a tablet's usual daily dose is a whole number of its smallest parts
            parts = drug.usual_daily_dose / form["dose_form_amount"] / form["dose_form_step"]
            assert abs(parts - round(parts)) < 1e-6, drug.code
