"""Issue 14's "a visit is never lost or doubled" and "one bill per visit" in Chromium on the real
server: a double tap on 保存就诊 saves one visit; a reload mid-visit keeps every typed field and
ends in one saved visit; a save while offline (or whose answer is lost) keeps the fields and ends
in one saved visit once the link returns; leaving with unsaved text asks first; the visit's fee
and its prescription's drugs are one receipt whose lines add up to what the patient pays."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot
from tests.browser.test_workflows import CENTRAL_DRUG, prescribe


def new_patient(live_server, **fields) -> int:
    name = "完整" + "".join(chr(0x4E00 + int(c, 16)) for c in uuid.uuid4().hex[:2])
    body = {"name": name, "sex": "male", "birth_date": "1956-04-02", **fields}
    answer = live_server.api("village_doctor").post("/api/v1/patients", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def visits(live_server, patient_id: int) -> list[dict]:
    answer = live_server.api("village_doctor").get(f"/api/v1/patients/{patient_id}/encounters")
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def open_visit(page: Page, patient_id: int) -> None:
    page.goto(f"/app/patients/{patient_id}")
    expect(page.locator("#history")).not_to_contain_text("加载中")


TYPED = {
    "#e-complaint": "头晕三天，偶有心慌",
    "#e-sbp": "158",
    "#e-dbp": "96",
    "#e-hr": "84",
    "#e-weight": "68.5",
    "#t-symptoms": "阵发性眩晕，口干口苦，无胸闷胸痛，纳眠可",
}


def type_visit(page: Page) -> None:
    for selector, value in TYPED.items():
        page.locator(selector).fill(value)
    page.get_by_label("舌质").select_option("red")
    page.locator("#t-pulse").get_by_label("细", exact=True).check()


def assert_typed_fields_kept(page: Page) -> None:
    for selector, value in TYPED.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.get_by_label("舌质")).to_have_value("red")
    expect(page.locator("#t-pulse").get_by_label("细", exact=True)).to_be_checked()


def test_a_double_tap_on_save_records_one_visit(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    page.get_by_label("主诉").fill("咳嗽发热两天")
    page.locator("#e-temp").fill("38.4")
    page.get_by_role("button", name="保存就诊").dblclick()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    # two submits in one go, past the disabled button: still the one save in flight
    page.evaluate(
        "() => { const f = document.getElementById('encounter'); f.requestSubmit(); "
        "f.requestSubmit(); }"
    )
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    expect(page.locator("#history tbody tr")).to_have_count(1)
    assert len(visits(live_server, patient)) == 1
    assert page_errors(page) == []


def test_a_reload_mid_visit_keeps_every_field_and_ends_in_one_visit(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    type_visit(page)
    # reload before the first save: everything typed comes back
    page.reload()
    assert_typed_fields_kept(page)
    expect(page.locator("#encounter-status")).to_contain_text("已恢复上次未保存的内容")
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    # an edit after saving, then a reload: the saved visit is resumed with the edit on top
    page.locator("#e-sbp").fill("150")
    page.reload()
    for selector, value in {**TYPED, "#e-sbp": "150"}.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.get_by_label("舌质")).to_have_value("red")
    expect(page.locator("#encounter-status")).to_contain_text("已恢复今天未结算的就诊")
    screenshot(page, "visit-integrity-resumed")
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    saved = visits(live_server, patient)
    assert len(saved) == 1
    assert saved[0]["chief_complaint"] == TYPED["#e-complaint"]
    assert saved[0]["vitals"]["sbp"] == 150 and saved[0]["vitals"]["weight_kg"] == 68.5
    # and a plain reload now resumes the one visit, nothing left unsaved
    page.reload()
    expect(page.locator("#e-sbp")).to_have_value("150")
    assert len(visits(live_server, patient)) == 1
    assert page_errors(page) == []


def test_a_save_while_offline_is_sent_when_the_link_returns(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    type_visit(page)
    page.context.set_offline(True)
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_contain_text("未联网")
    assert_typed_fields_kept(page)
    screenshot(page, "visit-integrity-offline")
    assert visits(live_server, patient) == []
    page.context.set_offline(False)  # the "online" event sends the waiting save
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    assert_typed_fields_kept(page)
    assert len(visits(live_server, patient)) == 1
    assert page_errors(page) == []


def test_a_save_whose_answer_is_lost_is_one_visit_after_retry_and_reload(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    type_visit(page)
    url = re.compile(rf"/api/v1/patients/{patient}/encounters$")

    def lose_the_answer(route):
        route.fetch()  # the server records the visit …
        route.abort("connectionreset")  # … and the answer never arrives

    page.route(url, lose_the_answer)
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_contain_text("未联网")
    assert len(visits(live_server, patient)) == 1
    page.unroute(url)
    page.reload()  # the waiting save goes again with its key: the server replays it
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    assert_typed_fields_kept(page)
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    assert len(visits(live_server, patient)) == 1


def test_a_server_error_after_the_visit_was_recorded_is_one_visit_after_retry(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    type_visit(page)
    url = re.compile(rf"/api/v1/patients/{patient}/encounters$")

    def fail_after_recording(route):
        route.fetch()  # recorded, then a proxy answers 503
        route.fulfill(status=503, content_type="application/problem+json", body='{"status": 503}')

    page.route(url, fail_after_recording)
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_contain_text("保存未成功")
    page.unroute(url)
    page.get_by_role("button", name="保存就诊").click()  # the same key again: a replay
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    assert len(visits(live_server, patient)) == 1


def test_a_field_a_section_draws_later_gets_its_draft_back(page_as, live_server):
    """Drafts are by element id, for every field of the page: a section that draws its form
    after loading (the follow-up form of an enrolled patient) is covered without code of its own."""
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    draw_later = (
        "() => { const s = document.createElement('section'); s.className = 'card'; "
        's.innerHTML = \'<label for="f-late">随访备注</label><input id="f-late">\' + '
        '\'<label for="f-smoke">吸烟</label><select id="f-smoke"><option value="">—'
        '</option><option value="yes">是</option></select>\'; '
        "document.querySelector('main').appendChild(s); }"
    )
    open_visit(page, patient)
    page.evaluate(draw_later)
    page.get_by_label("随访备注").fill("血压控制尚可")
    page.locator("#f-smoke").select_option("yes")
    page.reload()
    expect(page.locator("#history")).not_to_contain_text("加载中")
    page.evaluate(draw_later)  # drawn again after the reload: its drafts come back
    expect(page.get_by_label("随访备注")).to_have_value("血压控制尚可")
    expect(page.locator("#f-smoke")).to_have_value("yes")


def test_yesterdays_drafts_are_not_restored_and_are_removed(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    old = '{"day": "2020-01-02", "fields": {"e-complaint": "旧的主诉"}, "pending": null}'
    page.evaluate(
        "([key, value]) => { localStorage.setItem(key, value); "
        "localStorage.setItem('gpassist:visit:V01-01:999999', value); }",
        [f"gpassist:visit:V01-01:{patient}", old],
    )
    page.reload()
    expect(page.locator("#history")).not_to_contain_text("加载中")
    expect(page.get_by_label("主诉")).to_have_value("")
    kept = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('gpassist:visit:') && "
        "JSON.parse(localStorage.getItem(k)).day === '2020-01-02')"
    )
    assert kept == []


def test_leaving_with_unsaved_text_asks_first(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    page.get_by_label("主诉").fill("腰痛一周")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.dismiss()  # stay

    page.on("dialog", answer)
    page.evaluate("() => { window.location.href = '/app'; }")
    expect(page.get_by_label("主诉")).to_have_value("腰痛一周")
    assert asked == ["beforeunload"]
    assert page.url.endswith(f"/app/patients/{patient}")


def test_one_receipt_per_visit_whose_lines_add_up(page_as, live_server):
    patient = new_patient(live_server, drug_allergies=["青霉素"])
    page = page_as("village_doctor")
    open_visit(page, patient)
    page.get_by_label("主诉").fill("高血压复诊，血脂高")
    page.locator("#e-sbp").fill("146")
    page.locator("#e-dbp").fill("88")
    # prescribing saves the visit itself when it needs to; here the doctor saves first
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    # the bill has no way to add a drug: its search offers service items only
    page.locator("#b-search").fill("阿莫西林")
    page.get_by_role("button", name="添加", exact=True).click()
    expect(page.locator("#problem")).to_contain_text("药品请通过处方开具")
    page.locator("#b-search").fill("")
    # nor can the prescription: the allergy rule refuses the amoxicillin line as it is added, so
    # there is no line to issue or bill
    prescribe(page, ("amoxicillin-0.25g-cap", "阿莫西林", "2"))
    expect(page.locator("#rx-check")).to_contain_text("过敏")
    expect(page.locator("#rx-lines")).not_to_contain_text("阿莫西林")
    expect(page.locator("#bill")).not_to_contain_text("阿莫西林")
    prescribe(page, CENTRAL_DRUG)
    page.get_by_role("button", name="开具处方").click()
    expect(page.locator("#rx-result table tbody tr")).to_have_count(1)
    expect(page.locator("#rx-result").get_by_role("button")).to_have_count(0)  # no 2nd bill
    bill = page.locator("#bill")
    expect(bill).to_contain_text("一般诊疗费")
    expect(bill).to_contain_text("瑞舒伐他汀")
    page.get_by_role("button", name="结算本次就诊").dblclick()
    receipt = page.locator("#settlement")
    expect(receipt.get_by_role("link", name="打印收据")).to_have_count(1)
    rows = receipt.locator("table tbody tr")
    expect(rows).to_have_count(2)
    screenshot(page, "visit-integrity-receipt", full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)

    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(2)]
    assert any("瑞舒伐他汀" in c[0] for c in cells) and any("一般诊疗费" in c[0] for c in cells)
    total_patient = receipt.locator("p strong").inner_text()
    assert sum(round(float(c[4]) * 100) for c in cells) == round(float(total_patient) * 100)
    for c in cells:
        assert round(float(c[3]) * 100) + round(float(c[4]) * 100) == round(float(c[2]) * 100)

    with page.expect_popup() as popup:
        receipt.get_by_role("link", name="打印收据").click()
    printed = popup.value
    expect(printed.locator("body")).to_contain_text("一般诊疗费")
    expect(printed.locator("body")).to_contain_text("瑞舒伐他汀")
    expect(printed.locator("body")).to_contain_text(f"{total_patient}")
    screenshot(printed, "visit-integrity-printed-receipt", full_page=True)

    # the visit is closed: a reload starts a fresh visit page, and nothing is billed twice
    page.reload()
    expect(page.get_by_label("主诉")).to_have_value("")
    assert len(visits(live_server, patient)) == 1
    assert page_errors(page) == []


def test_logging_out_removes_the_visit_drafts(page_as, live_server):
    """Drafts hold patients' words on a shared clinic computer: the next user must not find them."""
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    page.get_by_label("主诉").fill("胸闷两天")
    drafts = "() => Object.keys(localStorage).filter(k => k.startsWith('gpassist:visit:')).length"
    page.wait_for_function(f"({drafts})() > 0")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert asked == ["confirm"]  # asked once, before anything was removed
    assert page.evaluate(drafts) == 0
