"""Suggested patent medicines on a visit (GET /encounters/{id}/medicine-options): the clinic's shelf
first, then the central pharmacy, each with its usual line and the rules' verdict for this
patient; and the cautions refuse or hold a prescription through the API as any rule does."""

from __future__ import annotations

import pytest

from tests.prescriptions.helpers import (
    add_demo_drugs,
    line,
    new_patient,
    new_visit,
    prescribe,
    receive,
    refusals,
    stock_in_clinic,
)

PATENT = (
    "tongxuan-lifei-pill",
    "ganmao-qingre-gran-12g",
    "niuhuang-jiedu-tab",
    "lianhua-qingwen-cap",
)


@pytest.fixture
def patent_medicines(database):
    """Four patent medicines in the catalog; 感冒清热颗粒 on clinic VA's formulary."""
    with database.transaction(actor="test") as session:
        add_demo_drugs(session, PATENT)
        stock_in_clinic(session, "VA", "ganmao-qingre-gran-12g")


def options(api, visit: int, codes, as_="doctor_a"):
    response = api.get(
        f"/api/v1/encounters/{visit}/medicine-options?codes={','.join(codes)}", as_=as_
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def test_the_clinics_shelf_comes_first_then_the_central_pharmacy(api, users, patent_medicines):
    receive(api, "ganmao-qingre-gran-12g", 20, "GMQR-1", 300, as_="doctor_a")
    visit = new_visit(api, new_patient(api))
    items = options(api, visit, ["tongxuan-lifei-pill", "no-such-drug", "ganmao-qingre-gran-12g"])
    assert [i["code"] for i in items] == [
        "ganmao-qingre-gran-12g",
        "tongxuan-lifei-pill",
        "no-such-drug",
    ]
    here, central, missing = items
    assert here["where"] == "clinic" and here["in_formulary"] and here["on_hand"] == 20
    # 24 g a day of 12 g sachets: one sachet twice a day, three days
    assert here["line"] == {
        "dose": 12.0,
        "dose_count": 1.0,  # one sachet a dose, in the product's own unit
        "frequency": "bid",
        "frequency_label": {"zh": "每日 2 次", "en": "Twice a day"},
        "days": 3,
        "quantity": 6,
    }
    assert here["dose_form"] == {
        "unit": {"zh": "袋", "en": "sachet"},
        "amount": 12.0,
        "smallest": 1.0,
    }
    assert here["unit"] == {"zh": "袋", "en": "sachet"} and here["prescribable"]
    assert central["where"] == "central" and not central["in_formulary"]
    assert central["prescribable"] and central["refusals"] == []
    assert missing["in_catalog"] is False and missing["refusals"][0]["code"] == "not_in_catalog"


def test_a_formulary_medicine_out_of_stock_is_sent_from_the_central_pharmacy(
    api, users, patent_medicines
):
    visit = new_visit(api, new_patient(api))
    [item] = options(api, visit, ["ganmao-qingre-gran-12g"])
    assert item["in_formulary"] and item["on_hand"] == 0 and item["where"] == "central"


def test_the_rules_verdict_is_the_prescriptions_own(api, users, patent_medicines):
    pregnant = new_patient(
        api, name="李嫂", pregnancy_status="pregnant", drug_allergies=["通宣理肺丸"]
    )
    visit = new_visit(api, pregnant)
    items = {i["code"]: i for i in options(api, visit, PATENT)}
    jiedu = items["niuhuang-jiedu-tab"]
    assert not jiedu["prescribable"]
    assert {r["code"] for r in jiedu["refusals"]} == {
        "contraindicated_in_pregnancy",
        "caution_refused",
    }
    assert any("孕妇禁用" in r["zh"] for r in jiedu["refusals"])
    assert [r["code"] for r in items["tongxuan-lifei-pill"]["refusals"]] == ["allergy"]
    assert items["ganmao-qingre-gran-12g"]["prescribable"]
    # the refused ones come after the allowed ones of the same place
    central = [i["code"] for i in options(api, visit, PATENT) if i["where"] == "central"]
    assert central.index("niuhuang-jiedu-tab") > central.index("lianhua-qingwen-cap")
    # issuing it is refused for the same reasons
    refused = prescribe(api, visit, [line("niuhuang-jiedu-tab", 2, "bid", days=3)])
    assert refused.status_code == 422
    assert {e["code"] for e in refused.get_json()["errors"]} == {
        "contraindicated_in_pregnancy",
        "caution_refused",
    }


def test_an_ephedra_product_for_a_hypertensive_patient_is_held_until_acknowledged(
    api, users, patent_medicines
):
    patient = new_patient(api, name="赵伯", sex="male")
    visit = new_visit(api, patient, diagnoses=["I10"])
    [item] = options(api, visit, ["tongxuan-lifei-pill"])
    assert item["prescribable"] and item["refusals"] == []
    [warning] = item["warnings"]
    assert warning["caution"] == "ephedra-hypertension-heart"
    assert "麻黄" in warning["zh"] and "高血压" in warning["zh"]
    one = [line("tongxuan-lifei-pill", 2, "bid", days=3)]
    held = prescribe(api, visit, one)
    assert refusals(held) == {"body.lines.0.drug": "caution"}
    assert "麻黄" in held.get_json()["errors"][0]["message_zh"]
    issued = prescribe(api, visit, one, acknowledged_cautions=["ephedra-hypertension-heart"])
    assert issued.status_code == 201, issued.get_json()


def test_another_clinics_visit_is_not_found_and_codes_are_required(api, users, patent_medicines):
    visit = new_visit(api, new_patient(api))
    answer = api.get(
        f"/api/v1/encounters/{visit}/medicine-options?codes=xiaoke-pill", as_="doctor_b"
    )
    assert answer.status_code == 404
    assert (
        api.get(f"/api/v1/encounters/{visit}/medicine-options", as_="doctor_a").status_code == 422
    )
