"""The central pharmacy's essential-list patent medicines that the TCM knowledge base suggests carry
machine-drafted label doses (tools/neml-2018-label-doses.yaml): a doctor can prescribe them at
the label's dose, not above it, not to a pregnant patient when the label forbids it, and not to
a child (the label's adult dose is all the catalog records)."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT
from tests.prescriptions.helpers import add_demo_drugs, line, new_patient, new_visit, prescribe
from tests.prescriptions.test_medicine_options import options

LIANHUA_GRANULES = "neml18-492-6g-gran"  # 连花清瘟颗粒 6 g: 一次1袋，一日3次
YIMUCAO_GRANULES = "neml18-617-15g-gran"  # 益母草颗粒 15 g: 一次1袋，一日2次；孕妇禁用
BAOJI_SMALL_BOTTLE = "neml18-484-1.85g-pill"  # 保济丸 每瓶装1.85g: 一次1.85-3.7g，一日3次


@pytest.fixture
def label_dosed(database):
    with database.transaction(actor="test") as session:
        add_demo_drugs(session, (LIANHUA_GRANULES, YIMUCAO_GRANULES, BAOJI_SMALL_BOTTLE))


def _suggested_for(disease: str, syndrome: str) -> list[str]:
    path = ROOT / "gpassist" / "models" / "tcm" / "primary-care" / "diseases" / f"{disease}.yaml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    [found] = [s for s in doc["syndromes"] if s["code"] == syndrome]
    return [m["code"] if isinstance(m, dict) else m for m in found["patent_medicines"]]


def test_a_wind_heat_granule_from_the_central_pharmacy_is_prescribed_at_its_label_dose(
    api, users, label_dosed
):
    assert LIANHUA_GRANULES in _suggested_for("ganmao", "fengre-fanbiao")
    visit = new_visit(api, new_patient(api, name="周风热", sex="male"))
    [item] = options(api, visit, [LIANHUA_GRANULES])
    assert item["where"] == "central" and item["prescribable"], item["refusals"]
    assert (item["line"]["dose_count"], item["line"]["frequency"]) == (1.0, "tid")

    issued = prescribe(api, visit, [line(LIANHUA_GRANULES, 6, "tid", days=3)])
    assert issued.status_code == 201, issued.get_json()

    twice = prescribe(api, visit, [line(LIANHUA_GRANULES, 12, "tid", days=3)])
    assert twice.status_code == 422
    assert {e["code"] for e in twice.get_json()["errors"]} == {"single_dose_above_maximum"}

    # a whole day's label dose at once: within the daily maximum, above the single one
    at_once = prescribe(api, visit, [line(LIANHUA_GRANULES, 18, "qd", days=3)])
    assert at_once.status_code == 422
    [error] = at_once.get_json()["errors"]
    assert error["code"] == "single_dose_above_maximum" and "6 g" in error["message_zh"]


def test_a_label_dose_of_one_bottle_is_offered_and_prescribed_in_bottles(api, users, label_dosed):
    """保济丸's label dose 1.85 g is one bottle of the 1.85 g product; counted in 0.1 g of pills
    it was offered as 1.9 g and 1.85 g was refused."""
    assert BAOJI_SMALL_BOTTLE in _suggested_for("outu", "waixie-fanwei")
    visit = new_visit(api, new_patient(api, name="郑呕吐", sex="male"))
    [item] = options(api, visit, [BAOJI_SMALL_BOTTLE])
    assert item["prescribable"], item["refusals"]
    assert item["dose_form"] == {
        "unit": {"zh": "瓶", "en": "bottle"},
        "amount": 1.85,
        "smallest": 1.0,
    }
    offered = item["line"]
    assert (offered["dose"], offered["dose_count"], offered["frequency"]) == (1.85, 1.0, "tid")

    issued = prescribe(api, visit, [line(BAOJI_SMALL_BOTTLE, offered["dose"], "tid", days=3)])
    assert issued.status_code == 201, issued.get_json()
    assert prescribe(api, visit, [line(BAOJI_SMALL_BOTTLE, 3.7, "tid", days=3)]).status_code == 201
    between = prescribe(api, visit, [line(BAOJI_SMALL_BOTTLE, 1.9, "tid", days=3)])
    assert between.status_code == 422
    assert [e["code"] for e in between.get_json()["errors"]] == ["dose_not_divisible"]


def test_the_catalog_says_the_label_dose_is_machine_drafted(api, users, label_dosed):
    answer = api.get(f"/api/v1/drugs/{LIANHUA_GRANULES}", as_="doctor_a")
    assert answer.status_code == 200, answer.get_json()
    drug = answer.get_json()
    assert (drug["usual_daily_dose"], drug["max_daily_dose"]) == (18.0, 18.0)
    assert drug["dose_source"]["status"] == "machine"
    assert "药典" in drug["dose_source"]["reference"]


def test_a_label_forbidden_in_pregnancy_is_refused_for_a_pregnant_patient(api, users, label_dosed):
    assert YIMUCAO_GRANULES in _suggested_for("tongjing", "qizhi-xueyu")
    one_sachet_twice = [line(YIMUCAO_GRANULES, 15, "bid", days=3)]
    pregnant = new_patient(api, name="吴孕", birth_date="1996-05-01", pregnancy_status="pregnant")
    refused = prescribe(api, new_visit(api, pregnant), one_sachet_twice)
    assert refused.status_code == 422
    assert [e["code"] for e in refused.get_json()["errors"]] == ["contraindicated_in_pregnancy"]
    woman = new_patient(api, name="吴经", birth_date="1996-05-01")
    assert prescribe(api, new_visit(api, woman), one_sachet_twice).status_code == 201


def test_a_child_is_refused_an_adult_label_dose(api, users, label_dosed):
    child = new_patient(api, name="周小", sex="male", birth_date="2018-06-01")
    visit = new_visit(api, child, weight_kg=25)
    refused = prescribe(api, visit, [line(LIANHUA_GRANULES, 6, "tid", days=3)])
    assert refused.status_code == 422
    [error] = refused.get_json()["errors"]
    assert error["code"] == "child_dose_unknown" and "成人剂量" in error["message_zh"]
