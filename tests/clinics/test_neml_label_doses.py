"""The label doses tools/build_neml_catalog.py writes into the generated essential-list catalog:
converted with each row's strength, never forced onto a row that cannot carry them."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import yaml

from gpassist.clinics.dosing import dose_form_columns
from gpassist.clinics.loader import read_registry
from gpassist.prescriptions.units import DoseForm
from tests.conftest import DEMO_COUNTY, ROOT


@pytest.fixture(scope="module")
def label_doses():
    spec = importlib.util.spec_from_file_location(
        "neml_label_doses", ROOT / "tools" / "neml_label_doses.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def row(strength: str, value: float, unit: str, dose_unit: str = "g", form: str = "颗粒剂"):
    return {
        "code": "x",
        "generic_name": {"zh": "某药", "en": "x"},
        "kind": "chinese_patent",
        "form": {"zh": form, "en": "x"},
        "strength": strength,
        "strength_value": value,
        "dose_unit": dose_unit,
        "unit": {"zh": unit, "en": "x"},
        "generic_group": "x",
    }


def test_a_label_dose_is_converted_with_each_rows_strength(label_doses):
    """(usual daily, maximum daily, maximum single) in the row's dose unit."""
    one_to_two_sachets = label_doses.LabelDose(1, 2, "袋", 2, 3)
    assert label_doses.daily_limits(row("每袋装3g", 3, "袋"), one_to_two_sachets) == (6, 18, 6)
    assert label_doses.daily_limits(row("每袋装5g", 5, "袋"), one_to_two_sachets) == (10, 30, 10)
    six_to_nine_g = label_doses.LabelDose(6, 9, "g", 2, 2)
    # two 3 g sachets are the smallest whole dose of 6 g; a 9 g pill is one
    assert label_doses.daily_limits(row("每袋装3g", 3, "袋", form="散剂"), six_to_nine_g) == (
        12,
        18,
        9,
    )
    pill = row("每丸重9g", 9, "丸", form="丸剂")
    assert label_doses.daily_limits(pill, six_to_nine_g) == (18, 18, 9)


def test_a_label_dose_in_grams_off_the_preparations_step_is_counted_so_it_can_be_given(
    label_doses,
):
    """Grams of a bottle's pills step by 0.1 g: 保济丸's 一次1.85-3.7g was offered as 1.9 g."""
    baoji = label_doses.LabelDose(1.85, 3.7, "g", 3, 3)
    small_bottle = row("每瓶装1.85g", 1.85, "瓶", form="丸剂")
    assert label_doses.label_dose_form(small_bottle, baoji) == {
        "unit": {"zh": "瓶", "en": "x"},
        "amount": 1.85,
        "smallest": 1.0,
    }
    assert label_doses.daily_limits(small_bottle, baoji) == (5.55, 11.1, 3.7)
    # a bottle is not split for the lower dose, as a sachet is not: one 3.7 g bottle a dose
    assert label_doses.daily_limits(row("每瓶装3.7g", 3.7, "瓶", form="丸剂"), baoji) == (
        11.1,
        11.1,
        3.7,
    )
    # a bottle of many doses stays in grams, in steps fine enough for the label's dose
    jar = row("每瓶装250g", 250, "瓶", form="煎膏剂")
    assert label_doses.label_dose_form(jar, label_doses.LabelDose(15, 15, "g", 2, 2)) is None
    one_and_a_quarter_g = label_doses.LabelDose(1.25, 1.25, "g", 2, 2)
    assert label_doses.label_dose_form(jar, one_and_a_quarter_g) == {
        "unit": {"zh": "g", "en": "g"},
        "amount": 1.0,
        "smallest": 0.05,
    }
    assert label_doses.daily_limits(jar, one_and_a_quarter_g) == (2.5, 2.5, 1.25)
    # a sachet keeps its own unit: the lower dose is reached in whole sachets, as before
    six_to_nine_g = label_doses.LabelDose(6, 9, "g", 2, 2)
    assert label_doses.label_dose_form(row("每袋装9g", 9, "袋", form="散剂"), six_to_nine_g) is None


def test_a_row_that_cannot_carry_the_label_dose_gets_no_limits(label_doses):
    six_g = label_doses.LabelDose(6, 6, "g", 2, 2)
    assert label_doses.daily_limits(row("每10丸重1g", 1, "丸", form="丸剂"), six_g) is None
    assert label_doses.daily_limits(row("每1g相当于饮片3g", 1, "袋"), six_g) is None
    assert label_doses.daily_limits(row("每丸重9g", 9, "丸", form="丸剂"), six_g) is None
    four_capsules = label_doses.LabelDose(4, 4, "粒", 3, 3)
    assert label_doses.daily_limits(row("每袋装3g", 3, "袋"), four_capsules) is None
    # a row bundling several products: a water pill's label dose is not a honey pill's
    six_to_nine_g = label_doses.LabelDose(6, 9, "g", 2, 2)
    for bundle in ("每丸重9g，每袋装6g", "每丸重3g，每100丸重5g，每袋装4g", "每丸重3g、9g"):
        assert label_doses.daily_limits(row(bundle, 9, "丸", form="丸剂"), six_to_nine_g) is None


def test_the_label_file_reads_and_names_only_catalog_medicines(label_doses):
    doc = label_doses.load(ROOT / "tools" / "neml-2018-label-doses.yaml")
    generated = yaml.safe_load(
        (DEMO_COUNTY / "drugs" / "neml-2018.yaml").read_text(encoding="utf-8")
    )["drugs"]
    names = {d["generic_name"]["zh"] for d in generated}
    assert set(doc["medicines"]) <= names
    left_out = {name for names in doc["left_out"].values() for name in names}
    assert not left_out & set(doc["medicines"])


def stored_dose_form(d) -> DoseForm:
    columns = dose_form_columns(d)
    return DoseForm(
        columns["dose_form_zh"],
        columns["dose_form_en"],
        columns["dose_form_amount"],
        columns["dose_form_step"],
    )


def test_every_label_dosed_row_has_a_usual_line_within_its_maximum(label_doses):
    drugs = [d for d in read_registry(DEMO_COUNTY).drugs.drugs if d.dose_source is not None]
    dosed = [d for d in drugs if d.max_daily_dose is not None]
    assert len(dosed) > 180
    for d in dosed:
        assert d.dose_source.status == "machine" and d.dose_source.label
        assert d.usual_daily_dose <= d.max_daily_dose
        assert d.max_single_dose is not None and d.max_single_dose <= d.max_daily_dose
        form = stored_dose_form(d)
        per_day = form.to_count(d.usual_daily_dose)
        # a whole number of units three, two or one times a day (what the visit page offers)
        assert any(form.divisible(per_day / times) for times in (3, 2, 1)), d.code
        # a row counted in its preparation (g, ml) can be given the label's doses exactly
        low, high, unit = label_doses.parse_dose(d.dose_source.label.split("，")[0][2:])
        if form.unit_zh == d.dose_unit == unit:
            assert form.divisible(form.to_count(low)) and form.divisible(form.to_count(high)), (
                d.code
            )
