"""The visit page's diagnosis picker and its messages, in Chromium at 1024×768 on the real server.

- A diagnosis found by pinyin initials ("fy" → 肺炎) is confirmed with one tap on an unsaved visit
  (the visit saves itself first) and the printed prescription slip names it: 肺炎（J18.9）.
- An enrolled hypertensive patient's 高血压 is a chip confirmed with one tap.
- Messages: an error sits in the page flow and covers no control (checked point by point with
  bounding boxes), stays until closed (× or Esc); success is a green role=status note.
"""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot

# Every visible control whose centre is drawn by something else (another element over it).
_COVERED_CONTROLS = """
() => Array.from(document.querySelectorAll("button, input, select, textarea, a.button"))
  .filter((el) => {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || el.closest("[hidden]")) return false;
    // inside a closed <details> (the follow-up form's folded warning signs): not shown
    const fold = el.closest("details");
    if (fold && !fold.open && !el.closest("summary")) return false;
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
    const top = document.elementFromPoint(x, y);
    return !(top === el || el.contains(top));
  })
  .map((el) => el.id || el.textContent.trim() || el.outerHTML.slice(0, 60))
"""


def new_name() -> str:
    return "确诊" + "".join(chr(0x4E00 + int(c, 16)) for c in uuid.uuid4().hex[:3])


def open_visit(page: Page, live_server, *, diagnoses=(), program=None) -> int:
    api = live_server.api("village_doctor")
    body = {"name": new_name(), "sex": "female", "birth_date": "1958-06-01"}
    created = api.post("/api/v1/patients", json={**body, "pregnancy_status": "not_pregnant"})
    assert created.status_code == 201, created.text
    patient = created.json()["id"]
    if diagnoses:
        past = api.post(
            f"/api/v1/patients/{patient}/encounters",
            json={
                "chief_complaint": "确诊",
                "diagnoses": list(diagnoses),
                "occurred_at": "2024-01-02T09:00:00+08:00",
            },
        )
        assert past.status_code == 201, past.text
    if program:
        enrolled = api.post(f"/api/v1/patients/{patient}/enrolments", json={"program": program})
        assert enrolled.status_code == 201, enrolled.text
    page.goto(f"/app/patients/{patient}")
    return patient


def test_a_diagnosis_picked_by_pinyin_initials_is_confirmed_and_printed(page_as, live_server):
    page = page_as("village_doctor")
    open_visit(page, live_server)
    page.get_by_label("主诉").fill("咳嗽发热3天")
    page.get_by_label("诊断（中文名、拼音首字母或 ICD-10 编码）").fill("fy")
    hit = page.locator("#dx-pick-hits .chip", has_text="肺炎").first
    expect(hit).to_contain_text("J18.9")
    hit.click()  # the visit is not saved yet: confirming saves it first

    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_text("肺炎（J18.9）")
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "status")
    expect(notice).to_contain_text("肺炎（J18.9）")
    page.locator("#dx-picker").scroll_into_view_if_needed()
    screenshot(page, "visit-dx-picker-confirmed")
    assert_no_overflow(page)
    assert_accessible(page)

    encounter = page.evaluate("visitPage.encounterId()")
    line = {"drug": "rosuvastatin-10mg-tab", "dose": 10, "frequency": "qd", "days": 7}
    rx = live_server.api("village_doctor").post(
        f"/api/v1/encounters/{encounter}/prescriptions", json={"lines": [line]}
    )
    assert rx.status_code == 201, rx.text
    page.goto(f"/api/v1/prescriptions/{rx.json()['id']}/slip.html")
    expect(page.locator(".diagnosis")).to_have_text("诊断：肺炎（J18.9）")
    screenshot(page, "slip-with-diagnosis")


def test_a_chronic_diagnosis_is_confirmed_with_one_tap(page_as, live_server):
    page = page_as("village_doctor")
    open_visit(page, live_server, diagnoses=("I10",), program="hypertension")
    chip = page.locator("#dx-known .chip", has_text="高血压")
    expect(chip).to_contain_text("I10")
    page.get_by_label("主诉").fill("高血压复诊")
    chip.click()
    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_text("高血压（I10）")
    # a mis-tap is undone: × takes it off the visit again
    page.get_by_role("button", name="取消确诊 高血压（I10）").click()
    expect(page.locator("#dx-confirmed")).to_have_text("尚未确诊")
    expect(page.locator("#notice")).to_contain_text("已取消确诊")
    chip.click()
    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_text("高血压（I10）")
    page.reload()  # the confirmed diagnosis is on the visit, not only on the page
    expect(page.locator("#dx-known .chip", has_text="高血压")).to_be_visible()
    assert page_errors(page) == []


def test_a_who_code_the_list_does_not_name_is_named_and_confirmed(page_as, live_server):
    page = page_as("village_doctor")
    open_visit(page, live_server)
    page.get_by_label("主诉").fill("喘息反复发作")
    page.get_by_label("诊断（中文名、拼音首字母或 ICD-10 编码）").fill("j450")
    page.locator("#dx-pick-hits .chip.who", has_text="J45.0").click()
    page.get_by_label("列表中没有这个编码的中文名，请填写中文诊断名后确诊").fill("过敏性哮喘")
    page.locator("#dx-pick-hits").get_by_role("button", name="确诊").click()
    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_text("过敏性哮喘（J45.0）")
    assert page_errors(page) == []


def test_an_error_covers_nothing_stays_until_closed_and_success_looks_different(
    page_as, live_server
):
    page = page_as("village_doctor")
    open_visit(page, live_server, diagnoses=("I10",), program="hypertension")
    # The follow-up form suggests a complaint for a patient in a program once it has loaded: take
    # it away after that, so the visit cannot be saved and nothing is confirmed.
    expect(page.locator("#e-complaint")).to_have_value("高血压随访")
    page.locator("#e-complaint").fill("")
    chip = page.locator("#dx-known .chip", has_text="高血压")
    chip.click()
    problem = page.locator("#problem")
    expect(problem).to_be_visible()
    expect(problem).to_have_attribute("role", "alert")
    expect(problem).to_contain_text("主诉")
    assert "/api/" not in problem.inner_text() and "may not" not in problem.inner_text()
    screenshot(page, "visit-message-error")
    assert page.evaluate(_COVERED_CONTROLS) == []
    # it is in the page flow, under the chip pressed, not over it
    chip_box, problem_box = chip.bounding_box(), problem.bounding_box()
    assert problem_box["y"] >= chip_box["y"] + chip_box["height"]
    # it stays (no timer) until closed: Esc, then the × of a new one
    page.keyboard.press("Escape")
    expect(problem).to_be_hidden()
    chip.click()
    expect(problem).to_be_visible()
    problem.get_by_role("button", name="关闭消息").click()
    expect(problem).to_be_hidden()

    page.get_by_label("主诉").fill("头晕复诊")
    chip.click()
    notice = page.locator("#notice")
    expect(notice).to_be_visible()
    assert page.evaluate(_COVERED_CONTROLS) == []
    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_text("高血压（I10）")  # once
    screenshot(page, "visit-message-success")
    colours = page.evaluate(
        """() => ["problem", "notice"].map((id) => {
             const el = document.getElementById(id); el.hidden = false;
             const style = getComputedStyle(el); return [style.backgroundColor, style.color];
           })"""
    )
    assert colours[0] != colours[1]  # an error and a success do not look alike
    assert page_errors(page) == []
