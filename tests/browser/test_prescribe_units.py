"""Issue 14, items 3 and 4 in Chromium: a dose is written in the product's own unit with the
strength shown (paracetamol: 每次 1 片（0.5 g）), 0.1 片 and more than the daily maximum are refused
with the reason on the page, each new line starts empty, "aldp" finds 氨氯地平 (brand names too),
and 续方 adds the patient's long-term medicines with one tap."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot
from tests.browser.test_workflows import new_patient_name, receive

PARACETAMOL = "paracetamol-0.5g-tab"
AMLODIPINE = "amlodipine-5mg-tab"
ATORVASTATIN = "atorvastatin-20mg-tab"


def new_patient(api, **extra) -> int:
    body = {"name": new_patient_name(), "sex": "male", "birth_date": "1955-02-03", **extra}
    created = api.post("/api/v1/patients", json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


def open_visit(page, patient_id: int, complaint: str) -> None:
    page.goto(f"/app/patients/{patient_id}")
    page.get_by_label("主诉").fill(complaint)  # prescribing saves the visit itself


def pick(page, typed: str, code: str) -> None:
    page.get_by_label("药品（名称或拼音首字母）").fill(typed)
    page.locator(f"#rx-hits button[data-code='{code}']").click()


def add_line(page, dose: str, frequency: str, days: str) -> None:
    page.locator("#rx-dose").fill(dose)
    page.get_by_label("频次").select_option(frequency)
    page.get_by_label("天数").fill(days)
    page.get_by_role("button", name="加入处方").click()


def test_paracetamol_is_dosed_in_tablets_and_impossible_doses_are_refused(page_as, live_server):
    api = live_server.api("village_doctor")
    receive(api, PARACETAMOL, 60)
    page = page_as("village_doctor")
    open_visit(page, new_patient(api), "发热咽痛一天")

    pick(page, "dyxajf", PARACETAMOL)  # 对乙酰氨基酚 by its initials
    expect(page.locator("label[for='rx-dose']")).to_contain_text("每次 （片）")
    hint = page.locator("#rx-strength")
    expect(hint).to_contain_text("1 片（0.5 g）")
    expect(hint).to_contain_text("最小 ½ 片")
    expect(hint).to_contain_text("每日最多 4 片（2 g）")
    lines = page.locator("#rx-lines table tbody tr")

    add_line(page, "0.1", "tid", "3")
    check = page.locator("#rx-check")
    expect(check).to_contain_text("每次 0.1 片，少于本品最小可分剂量 ½ 片（0.25 g）")
    expect(lines).to_have_count(0)  # refused: not on the prescription
    expect(page.locator("#rx-lines")).to_contain_text("还没有处方药品")
    check.scroll_into_view_if_needed()
    screenshot(page, "visit-prescribe-tenth-tablet-refused")

    add_line(page, "2", "qid", "3")
    expect(check).to_contain_text("日剂量 8 片（4 g）")
    expect(check).to_contain_text("最大日剂量 4 片（2 g）")
    screenshot(page, "visit-prescribe-daily-maximum-refused")

    add_line(page, "1", "tid", "3")
    expect(lines.first).to_contain_text("每次 1 片（0.5 g），每日 3 次，共 3 天")
    expect(check).to_be_empty()
    # the next line starts empty: nothing of the last dose or days is left to type over
    expect(page.locator("#rx-dose")).to_have_value("")
    expect(page.locator("#rx-days")).to_have_value("")
    expect(page.get_by_label("药品（名称或拼音首字母）")).to_have_value("")

    page.get_by_role("button", name="开具处方").click()
    issued = page.locator("#rx-result table tbody tr")
    expect(issued).to_have_count(1)
    expect(issued.first).to_contain_text("每次 1 片（0.5 g），每日 3 次，共 3 天")
    expect(issued.first).to_contain_text("9片")
    screenshot(page, "visit-prescribe-in-tablets", full_page=True)
    with page.expect_popup() as popup:
        page.locator("#rx-result").get_by_role("link", name="打印处方").click()
    slip = popup.value
    expect(slip.locator("body")).to_contain_text("每次 1 片（0.5 g），每日 3 次，共 3 天")
    screenshot(slip, "slip-in-tablets", full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


def test_drugs_are_found_by_pinyin_initials_and_brand_name(page_as, live_server):
    api = live_server.api("village_doctor")
    page = page_as("village_doctor")
    open_visit(page, new_patient(api), "头晕")
    page.get_by_label("药品（名称或拼音首字母）").fill("aldp")
    first = page.locator("#rx-hits button").first
    expect(first).to_have_attribute("data-code", AMLODIPINE)  # the clinic's own first
    expect(first).to_contain_text("氨氯地平")
    expect(first).to_contain_text("本室常备")
    page.locator("#rx-hits").scroll_into_view_if_needed()
    screenshot(page, "visit-prescribe-search-aldp")

    page.get_by_label("药品（名称或拼音首字母）").fill("络活喜")
    expect(page.locator("#rx-hits button").first).to_contain_text("商品名 络活喜")
    page.get_by_label("药品（名称或拼音首字母）").fill("ebst")
    expect(page.locator("#rx-hits button").first).to_contain_text("厄贝沙坦")
    assert page_errors(page) == []


def test_repeat_prescription_adds_the_long_term_medicines_with_one_tap(page_as, live_server):
    api = live_server.api("village_doctor")
    patient = new_patient(api)
    visit = api.post(
        f"/api/v1/patients/{patient}/encounters",
        json={"chief_complaint": "高血压复诊", "diagnoses": ["I10"]},
    ).json()["id"]
    enrolled = api.post(f"/api/v1/patients/{patient}/enrolments", json={"program": "hypertension"})
    assert enrolled.status_code == 201, enrolled.text
    earlier = api.post(
        f"/api/v1/encounters/{visit}/prescriptions",
        json={
            "lines": [
                {"drug": AMLODIPINE, "dose_count": 1, "frequency": "qd", "days": 28},
                {"drug": ATORVASTATIN, "dose_count": 1, "frequency": "qn", "days": 28},
                {"drug": PARACETAMOL, "dose_count": 1, "frequency": "prn", "days": 3},
            ]
        },
    )
    assert earlier.status_code == 201, earlier.text

    page = page_as("village_doctor")
    open_visit(page, patient, "高血压随访，取药")
    repeat = page.locator("#rx-repeat")
    expect(repeat.locator("li")).to_have_count(2)  # paracetamol for 3 days is not long-term
    expect(repeat).to_contain_text("高血压管理用药")
    expect(repeat).to_contain_text("长期处方（28 天）")
    repeat.scroll_into_view_if_needed()
    screenshot(page, "visit-prescribe-repeat")
    page.get_by_role("button", name="续方：一键加入以上 2 种长期用药").click()
    lines = page.locator("#rx-lines table tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("每次 1 片（5 mg），每日 1 次，共 28 天")
    expect(lines.nth(1)).to_contain_text("每晚 1 次")
    page.get_by_role("button", name="开具处方").click()
    expect(page.locator("#rx-result table tbody tr")).to_have_count(2)
    screenshot(page, "visit-prescribe-repeat-issued", full_page=True)
    assert page_errors(page) == []


def test_a_line_still_being_checked_is_never_left_off_the_prescription(page_as, live_server):
    """A quick tap on 开具处方 right after 加入处方 used to issue the prescription without the line
    whose check had not yet come back; the button now waits for every check."""
    api = live_server.api("village_doctor")
    receive(api, PARACETAMOL, 60)
    page = page_as("village_doctor")
    open_visit(page, new_patient(api), "发热头痛一天")
    pick(page, "aldp", AMLODIPINE)
    add_line(page, "1", "qd", "7")
    lines = page.locator("#rx-lines table tbody tr")
    expect(lines).to_have_count(1)

    held = []
    page.route("**/prescription-check", lambda route: held.append(route))
    pick(page, "dyxajf", PARACETAMOL)
    add_line(page, "1", "tid", "3")
    issue = page.get_by_role("button", name="开具处方")
    expect(issue).to_be_disabled()  # one line is listed, but the second is still being checked
    assert len(held) == 1
    held[0].continue_()
    expect(lines).to_have_count(2)
    issue.click()
    expect(page.locator("#rx-result table tbody tr")).to_have_count(2)
    assert page_errors(page) == []
