"""Ingredient cautions (cautions.yaml): the data names real catalog groups, and the rules apply
each caution, allergy class and interaction to what is inside a compound patent medicine."""

from __future__ import annotations

import pytest

from gpassist.clinics.loader import read_registry
from gpassist.prescriptions import knowledge, rules
from gpassist.prescriptions.knowledge import allergy_classes, cautions, read_cautions
from tests.conftest import DEMO_COUNTY


@pytest.fixture(scope="module")
def catalog():
    return read_registry(DEMO_COUNTY).drugs.drugs


def facts(catalog, code: str) -> rules.DrugFacts:
    d = next(d for d in catalog if d.code == code)
    return rules.DrugFacts(
        code=d.code,
        name_zh=d.generic_name.zh,
        name_en=d.generic_name.en,
        generic_group=d.generic_group,
        strength_value=d.strength_value,
        dose_unit=d.dose_unit,
        max_daily_dose=d.max_daily_dose,
        pregnancy=d.pregnancy.value,
        ingredients=knowledge.ingredients_of(d.generic_group),
    )


def patient(**given) -> rules.PatientFacts:
    return rules.PatientFacts(**{"age_years": 60, "weight_kg": 60.0, "pregnant": False, **given})


def line(drug: rules.DrugFacts, dose: float, days: int = 3) -> rules.LineDraft:
    quantity = rules.units_needed(dose, rules.Frequency.bid, days, drug.strength_value)
    return rules.LineDraft(drug, dose, rules.Frequency.bid, days, quantity)


def caution_codes(refusals) -> set[tuple[str, str | None]]:
    return {(r.code, r.caution) for r in refusals if r.code.startswith("caution")}


# --- the data ------------------------------------------------------------------------------------


def test_every_ingredient_group_is_a_catalog_group_and_every_caution_names_an_ingredient(catalog):
    groups = {d.generic_group for d in catalog}
    file = read_cautions()
    for entry in file.ingredients:
        assert set(entry.groups) <= groups, entry.code
    known = {i.code for i in file.ingredients} | groups
    for caution in file.cautions:
        assert set(caution.ingredients) <= known, caution.code
        assert any("\u4e00" <= ch <= "\u9fff" for ch in caution.text.zh)
        assert (
            "说明书" in caution.source or "药典" in caution.source or "药品监督" in caution.source
        )


def test_no_catalog_product_carries_an_aristolochic_acid_herb(catalog):
    acid = next(i for i in read_cautions().ingredients if i.code == "aristolochic-acid")
    assert acid.groups == [] and len(acid.herbs) >= 5
    for drug in catalog:
        assert not any(herb in drug.generic_name.zh for herb in acid.herbs), drug.code
    # 龙胆泻肝丸 once carried 关木通: the 2020 pharmacopoeia formula has 木通 instead
    assert not any("关木通" in d.strength for d in catalog)


def test_the_ephedra_and_cinnabar_products_carry_their_ingredients(catalog):
    assert "ephedra" in facts(catalog, "tongxuan-lifei-pill").ingredients
    assert "ephedra" in facts(catalog, "lianhua-qingwen-cap").ingredients
    assert {"cinnabar", "realgar"} <= set(facts(catalog, "angong-niuhuang-pill").ingredients)
    assert facts(catalog, "xiaoke-pill").ingredients == ("glibenclamide",)
    assert facts(catalog, "ganmao-qingre-gran-12g").ingredients == ()


# --- the rules -----------------------------------------------------------------------------------


def test_an_ephedra_product_for_a_hypertensive_patient_is_held_until_acknowledged(catalog):
    drug = facts(catalog, "tongxuan-lifei-pill")
    hypertensive = patient(conditions=("I10",))
    refused = rules.check_cautions([line(drug, 2)], hypertensive, cautions())
    assert caution_codes(refused) == {("caution", "ephedra-hypertension-heart")}
    assert "麻黄" in refused[0].zh and "高血压" in refused[0].zh and "I10" in refused[0].zh
    acknowledged = ("ephedra-hypertension-heart",)
    assert rules.check_cautions([line(drug, 2)], hypertensive, cautions(), acknowledged) == []
    # heart failure (I50.9) by prefix; a patient with neither passes
    assert caution_codes(
        rules.check_cautions([line(drug, 2)], patient(conditions=("I50.9",)), cautions())
    )
    assert rules.check_cautions([line(drug, 2)], patient(conditions=("J06.9",)), cautions()) == []


def test_cinnabar_and_realgar_are_refused_in_pregnancy_beyond_seven_days_and_in_renal_failure(
    catalog,
):
    drug = facts(catalog, "niuhuang-jiedu-tab")
    pregnant = rules.check_cautions([line(drug, 2)], patient(pregnant=True), cautions())
    assert caution_codes(pregnant) == {("caution_refused", None)}
    assert "孕妇禁用" in pregnant[0].zh
    # a refusal cannot be acknowledged away
    codes = tuple(c.code for c in cautions())
    assert rules.check_cautions([line(drug, 2)], patient(pregnant=True), cautions(), codes)
    chronic = patient(chronic_enrolled=True)
    assert rules.check_cautions([line(drug, 2, days=7)], chronic, cautions()) == []
    long = rules.check_cautions([line(drug, 2, days=8)], chronic, cautions())
    assert "不宜久服" in long[0].zh
    renal = rules.check_cautions([line(drug, 2)], patient(conditions=("N18.3",)), cautions())
    assert "肝肾功能不全" in renal[0].zh


def test_pregnancy_and_allergy_checks_apply_to_patent_medicines_as_to_any_drug(catalog):
    angong = facts(catalog, "angong-niuhuang-pill")
    refusals = rules.check_prescription(
        [line(angong, 0.5)], patient(pregnant=True), cautions=cautions()
    )
    assert {r.code for r in refusals} >= {"contraindicated_in_pregnancy", "caution_refused"}
    xiaoke = facts(catalog, "xiaoke-pill")
    allergic = patient(allergies=("磺脲类过敏",))
    refusals = rules.check_allergies([line(xiaoke, 5)], allergic, allergy_classes())
    assert [r.code for r in refusals] == ["allergy"]
    by_name = patient(allergies=("通宣理肺丸",))
    assert rules.check_allergies([line(facts(catalog, "tongxuan-lifei-pill"), 1)], by_name, ())


def test_what_is_inside_a_product_meets_the_interaction_table(catalog):
    table = knowledge.interaction_table(
        knowledge.read_interactions(DEMO_COUNTY / "interactions.yaml")
    )
    xiaoke = facts(catalog, "xiaoke-pill")
    gliclazide = facts(catalog, "gliclazide-80mg-tab")
    taking = patient(current_drugs=(gliclazide,))
    refusals = rules.check_interactions([line(xiaoke, 5)], taking, table)
    assert [r.code for r in refusals] == ["interaction_with_current"]
    assert "低血糖" in refusals[0].zh


def test_type_1_diabetes_refuses_the_glibenclamide_in_xiaoke_pills(catalog):
    xiaoke = facts(catalog, "xiaoke-pill")
    refusals = rules.check_cautions([line(xiaoke, 5)], patient(conditions=("E10.9",)), cautions())
    assert caution_codes(refusals) == {("caution_refused", None)}
    assert "1型糖尿病" in refusals[0].zh
    assert rules.check_cautions([line(xiaoke, 5)], patient(conditions=("E11.9",)), cautions()) == []


def test_a_drug_to_use_with_care_in_pregnancy_needs_the_doctors_acknowledgement(catalog):
    """孕妇慎用 (amlodipine's label) used to pass silently for a pregnant patient; it is now a
    warn-level caution the doctor acknowledges drug by drug, and is no concern for anyone else."""
    amlodipine = facts(catalog, "amlodipine-5mg-tab")
    nifedipine = facts(catalog, "nifedipine-sr-10mg-tab")
    assert amlodipine.pregnancy == nifedipine.pregnancy == "caution"
    pregnant = rules.check_prescription([line(amlodipine, 5)], patient(pregnant=True))
    assert caution_codes(pregnant) == {("caution", "pregnancy:amlodipine-5mg-tab")}
    assert "孕妇慎用" in pregnant[0].zh
    seen = [rules.pregnancy_caution(amlodipine)]
    assert (
        rules.check_prescription([line(amlodipine, 5)], patient(pregnant=True), acknowledged=seen)
        == []
    )
    # accepting amlodipine's caution does not let a second 慎用 drug through unseen
    both = rules.check_prescription(
        [line(amlodipine, 5), line(nifedipine, 10)], patient(pregnant=True), acknowledged=seen
    )
    assert caution_codes(both) == {("caution", "pregnancy:nifedipine-sr-10mg-tab")}
    assert rules.check_prescription([line(amlodipine, 5)], patient()) == []
