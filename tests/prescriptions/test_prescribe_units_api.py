"""The prescribing API in the product's own unit: dose_count (1 片) beside dose (mg), refusals of
impossible and excessive doses with field path and message_zh, lines in words, the dry-run check
the page uses as each line is added, and 续方 (the patient's current long-term medicines)."""

from __future__ import annotations

from tests.followup.helpers import diagnosed_patient, enrol
from tests.prescriptions.helpers import new_patient, new_visit, prescribe

PARACETAMOL = "paracetamol-0.5g-tab"


def tablets(count, frequency="tid", days=3, drug=PARACETAMOL) -> dict:
    return {"drug": drug, "dose_count": count, "frequency": frequency, "days": days}


def errors(response) -> dict[str, dict]:
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return {e["field"]: e for e in problem["errors"]}


def test_a_dose_in_tablets_is_converted_for_the_rules_and_written_in_words(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    answer = prescribe(api, visit, [tablets(1)])
    assert answer.status_code == 201, answer.get_json()
    (line,) = answer.get_json()["lines"]
    assert (line["dose"], line["dose_unit"], line["dose_count"]) == (500, "mg", 1)
    assert line["dose_form"] == {"zh": "片", "en": "tablet"}
    assert line["quantity"] == 9
    assert line["frequency_label"] == {"zh": "每日 3 次", "en": "Three times a day"}
    assert line["usage"]["zh"] == "每次 1 片（0.5 g），每日 3 次，共 3 天"


def test_a_tenth_of_a_tablet_and_half_a_milligram_are_refused_in_chinese(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    tenth = errors(prescribe(api, visit, [tablets(0.1)]))["body.lines.0.dose_count"]
    assert tenth["code"] == "dose_below_smallest_part"
    assert "少于本品最小可分剂量 ½ 片（0.25 g）" in tenth["message_zh"]
    # the "0.5" typed into a mg field for a 0.5 g tablet: no longer 0.03 元 in silence
    half_mg = {"drug": PARACETAMOL, "dose": 0.5, "frequency": "tid", "days": 3}
    assert errors(prescribe(api, visit, [half_mg]))["body.lines.0.dose"]["code"] == (
        "dose_below_smallest_part"
    )
    third = errors(prescribe(api, visit, [tablets(1.3)]))["body.lines.0.dose_count"]
    assert third["code"] == "dose_not_divisible" and "½ 片" in third["message_zh"]


def test_more_than_the_maximum_is_refused_with_the_tablets_named(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    daily = errors(prescribe(api, visit, [tablets(2, "qid")]))["body.lines.0.dose_count"]
    assert daily["code"] == "dose_above_maximum"
    assert "日剂量 8 片（4 g）" in daily["message_zh"]
    assert "最大日剂量 4 片（2 g）" in daily["message_zh"]
    single = errors(prescribe(api, visit, [tablets(3, "qd")]))["body.lines.0.dose_count"]
    assert single["code"] == "single_dose_above_maximum"
    assert prescribe(api, visit, [tablets(2, "bid")]).status_code == 201  # 2 g: the limit


def test_a_dose_is_given_one_way_only(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    both = {**tablets(1), "dose": 500}
    error = errors(prescribe(api, visit, [both]))["body.lines.0"]
    assert error["code"] == "one_dose" and "二者选一" in error["message_zh"]
    neither = {"drug": PARACETAMOL, "frequency": "tid", "days": 3}
    assert errors(prescribe(api, visit, [neither]))["body.lines.0"]["code"] == "one_dose"


def test_when_needed_counts_three_doses_a_day(api, users, more_drugs):
    visit = new_visit(api, new_patient(api))
    answer = prescribe(api, visit, [tablets(1, "prn")])
    assert answer.status_code == 201, answer.get_json()
    line = answer.get_json()["lines"][0]
    assert line["quantity"] == 9
    assert line["usage"]["zh"] == "每次 1 片（0.5 g），必要时（每日至多 3 次），共 3 天"


def test_the_check_writes_nothing_and_lists_each_refusal(api, users, more_drugs):
    patient = new_patient(api)
    visit = new_visit(api, patient)
    url = f"/api/v1/encounters/{visit}/prescription-check"
    ok = api.post(url, as_="doctor_a", json={"lines": [tablets(1)]})
    assert ok.status_code == 200 and ok.get_json()["ok"]
    assert ok.get_json()["lines"][0]["usage"]["zh"] == "每次 1 片（0.5 g），每日 3 次，共 3 天"
    refused = api.post(url, as_="doctor_a", json={"lines": [tablets(1), tablets(0.1)]}).get_json()
    assert not refused["ok"]
    assert [(r["field"], r["code"]) for r in refused["refusals"]] == [
        ("body.lines.1.drug", "duplicate_drug"),
        ("body.lines.1.dose_count", "dose_below_smallest_part"),
    ]
    assert api.get(f"/api/v1/encounters/{visit}/prescriptions", as_="doctor_a").get_json() == {
        "items": []
    }
    other = api.post(url, as_="doctor_b", json={"lines": [tablets(1)]})
    assert other.status_code == 404


def test_current_medicines_are_the_long_prescriptions(api, users, more_drugs):
    patient = diagnosed_patient(api)
    enrol(api, patient)
    visit = new_visit(api, patient)
    long_lines = [
        {"drug": "amlodipine-5mg-tab", "dose_count": 1, "frequency": "qd", "days": 28},
        tablets(1, "prn", 3),
    ]
    assert prescribe(api, visit, long_lines).status_code == 201
    answer = api.get(f"/api/v1/patients/{patient}/current-medicines", as_="doctor_a")
    assert answer.status_code == 200
    (item,) = answer.get_json()["items"]  # paracetamol for three days is not long-term
    assert item["drug"] == "amlodipine-5mg-tab"
    assert (item["dose_count"], item["frequency"], item["days"]) == (1, "qd", 28)
    assert item["why"]["zh"] == "长期处方（28 天）"
    assert item["usage"]["zh"] == "每次 1 片（5 mg），每日 1 次，共 28 天"
    other = api.get(f"/api/v1/patients/{patient}/current-medicines", as_="doctor_b")
    assert other.status_code == 404
