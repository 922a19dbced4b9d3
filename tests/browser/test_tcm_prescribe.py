"""Issue 16, item 4 in Chromium: the TCM panel's suggested patent medicines are buttons; the one on
the clinic's shelf comes first, marked 本院有药, and one tap puts its usual line in the
prescription, which is issued and dispensed at the clinic. The central-pharmacy ones follow,
marked 中心药房配送."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot
from tests.browser.test_workflows import new_patient_name, receive, save_visit

# 气滞血瘀证 (the committed learned model's answer below) → 复方丹参滴丸, on every village
# clinic's formulary (formularies.yaml default), and 速效救心丸 / 麝香保心丸 from the central
# pharmacy.
ON_THE_SHELF = ("fufang-danshen-dripping-pill", "复方丹参滴丸")


REFUSED = ("shexiang-baoxin-pill", "麝香保心丸")  # the patient below is recorded as allergic


def test_a_suggested_patent_medicine_is_prescribed_with_one_tap(page_as, live_server):
    api = live_server.api("village_doctor")
    receive(api, ON_THE_SHELF[0], 300)
    body = {"name": new_patient_name(), "sex": "male", "birth_date": "1956-04-01"}
    created = api.post("/api/v1/patients", json={**body, "drug_allergies": [REFUSED[1]]})
    assert created.status_code == 201, created.text
    page = page_as("village_doctor")
    page.goto(f"/app/patients/{created.json()['id']}")
    save_visit(page, "胸闷胸痛一周")

    page.get_by_label("舌质").select_option("dark-red")
    page.get_by_label("舌苔").select_option("thin-white")
    page.locator("#t-pulse").get_by_label("弦", exact=True).check()
    page.locator("#t-symptoms").fill("胸闷胸痛，痛引后背，情志不舒时加重")
    page.get_by_role("button", name="获取辨证建议").click()
    panel = page.locator("#tcm-rx")
    expect(panel.locator("li").first).to_contain_text("本院有药")
    first = panel.locator("li").first.get_by_role("button")
    expect(first).to_have_attribute("data-code", ON_THE_SHELF[0])
    expect(first).to_be_enabled()
    expect(panel.locator("li").nth(1)).to_contain_text("中心药房配送")
    refused_button = f"button[data-code='{REFUSED[0]}']"
    expect(panel.locator(refused_button)).to_be_hidden()  # folded away, with its reason
    panel.locator("details.tcm-rx-refused summary").click()
    expect(panel.locator(refused_button)).to_be_visible()
    expect(panel.locator(refused_button)).to_be_disabled()
    refused = panel.locator("li").filter(has=page.locator(refused_button))
    expect(refused).to_contain_text("不能开具")
    expect(refused).to_contain_text("过敏")
    expect(panel.locator("li").last).to_contain_text(REFUSED[1])  # refused ones come last
    screenshot(page, "visit-tcm-patent-medicines", full_page=True)

    first.click()  # the one tap
    expect(first).to_be_disabled()
    expect(first).to_contain_text("已加入处方")
    lines = page.locator("#rx-lines table tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(ON_THE_SHELF[1])
    expect(lines.first).to_contain_text("每次 10 丸，每日 3 次，共 3 天")

    page.get_by_role("button", name="开具处方").click()
    issued = page.locator("#rx-result table tbody tr")
    expect(issued).to_have_count(1)
    expect(issued.first).to_contain_text(ON_THE_SHELF[1])
    expect(issued.first).to_contain_text("本室发药")
    screenshot(page, "visit-tcm-one-tap-prescribed", full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


# 风寒感冒's patent medicine on every village clinic's formulary (formularies.yaml default).
WIND_COLD_MEDICINE = ("ganmao-qingre-gran-12g", "感冒清热颗粒")


def test_a_cold_confirmed_as_acute_urti_leads_with_ganmao_fenghan_and_its_medicine(
    page_as, live_server
):
    """Issue 16 acceptance 3: a visit confirmed as acute URTI (J06.9) with 恶寒重、发热轻、无汗、
    鼻塞流清涕、苔薄白、脉浮紧 shows 感冒 · 风寒束表证 first with its 治法 and 代表方, and the
    clinic's 感冒清热颗粒 is prescribed with one tap."""
    api = live_server.api("village_doctor")
    receive(api, WIND_COLD_MEDICINE[0], 50)
    body = {"name": new_patient_name(), "sex": "male", "birth_date": "1984-09-12"}
    created = api.post("/api/v1/patients", json=body)
    assert created.status_code == 201, created.text
    patient = created.json()["id"]
    page = page_as("village_doctor")
    page.goto(f"/app/patients/{patient}")
    save_visit(page, "受凉后恶寒发热2天")
    encounter = api.get(f"/api/v1/patients/{patient}/encounters").json()["items"][0]["id"]
    confirmed = api.post(
        f"/api/v1/encounters/{encounter}/diagnosis",
        json={"icd10": "J06.9", "zh": "急性上呼吸道感染"},
    )
    assert confirmed.status_code == 201, confirmed.text

    page.get_by_label("舌苔").select_option("thin-white")
    pulse = page.locator("#t-pulse")
    pulse.get_by_label("紧", exact=True).check()  # ticked in any order, written 脉浮紧
    pulse.get_by_label("浮", exact=True).check()
    expect(page.locator("#t-pulse-text")).to_have_text("脉浮紧")
    page.locator("#t-symptoms").fill("恶寒重，发热轻，无汗，鼻塞流清涕")
    page.get_by_role("button", name="获取辨证建议").click()
    view = page.locator("#tcm-kb")
    # the first suggestion of a fresh server loads jieba, the model and the knowledge base
    expect(view.locator(".tcm-lead")).to_contain_text("感冒 · 风寒束表证", timeout=30_000)
    expect(view.locator("#tcm-kb-treatment")).to_contain_text("辛温解表")
    expect(view.locator("#tcm-kb-treatment")).to_contain_text("荆防败毒散")
    expect(view).to_contain_text("J06.9")  # started from the confirmed Western diagnosis
    expect(view).to_contain_text("恶寒重")  # a finding behind it

    panel = page.locator("#tcm-rx")
    selector = f"button[data-code='{WIND_COLD_MEDICINE[0]}']"
    button = panel.locator(selector)
    expect(button).to_be_enabled()
    expect(panel.locator("li").filter(has=page.locator(selector))).to_contain_text("本院有药")
    expect(panel.locator("li").first).to_contain_text("本院有药")  # the shelf first
    screenshot(page, "visit-tcm-kb-wind-cold", full_page=True)

    button.click()  # the one tap
    expect(button).to_contain_text("已加入处方")
    lines = page.locator("#rx-lines table tbody tr")
    expect(lines).to_have_count(1)
    expect(lines.first).to_contain_text(WIND_COLD_MEDICINE[1])
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


def test_dizziness_with_a_facial_droop_warns_of_a_stroke_before_anything_else(page_as, live_server):
    """The TCM panel opens with the red flag, leads with 中风 at its acute stage (a referral
    syndrome) and offers no patent medicine to treat it at the clinic."""
    api = live_server.api("village_doctor")
    body = {"name": new_patient_name(), "sex": "male", "birth_date": "1952-03-08"}
    created = api.post("/api/v1/patients", json=body)
    assert created.status_code == 201, created.text
    page = page_as("village_doctor")
    page.goto(f"/app/patients/{created.json()['id']}")
    save_visit(page, "头晕2小时")
    page.locator("#t-symptoms").fill("头晕，嘴角歪，右边手脚没劲")
    page.get_by_role("button", name="获取辨证建议").click()
    view = page.locator("#tcm-kb")
    warning = view.locator("#tcm-red-flag")
    expect(warning).to_contain_text("疑似中风急性期", timeout=30_000)
    expect(warning).to_contain_text("立即转诊")
    expect(view.locator(".tcm-lead")).to_contain_text("中风 · ")
    expect(view).to_contain_text("此证需转诊上级医院")
    expect(page.locator("#tcm-rx button[data-code]")).to_have_count(0)  # nothing to treat here
    screenshot(page, "visit-tcm-stroke-red-flag", full_page=True)
    assert_accessible(page)
    assert page_errors(page) == []
