"""Issue 9's acceptance in Chromium on the real server: a village doctor's whole visit from login
to printed receipt, a live consultation between two browsers, the pharmacist's board updating
live when a prescription creates an order. Each main page is screenshotted at 1024×768 and checked
for overflow and accessibility."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    assert_accessible,
    assert_no_overflow,
    page_errors,
    screenshot,
)

CLINIC_DRUG = ("amlodipine-5mg-tab", "aldp", "1")  # 1 片 of 5 mg; in V01-01's formulary
CENTRAL_DRUG = ("rosuvastatin-10mg-tab", "瑞舒伐他汀", "1")  # not stocked at village clinics


def receive(api, drug: str, quantity: int, facility: str | None = None) -> None:
    body = {
        "drug": drug,
        "lot_no": f"T-{uuid.uuid4().hex[:8]}",
        "expires_on": (dt.date.today() + dt.timedelta(days=400)).isoformat(),
        "quantity": quantity,
    }
    if facility:
        body["facility"] = facility
    answer = api.post("/api/v1/pharmacy/stock/receipts", json=body)
    assert answer.status_code == 201, answer.text


@pytest.fixture
def stocked(live_server):
    """The doctor's clinic has amlodipine on its shelf; the central pharmacy has rosuvastatin."""
    receive(live_server.api("village_doctor"), CLINIC_DRUG[0], 60)
    receive(live_server.api("pharmacist"), CENTRAL_DRUG[0], 60)


def new_patient_name() -> str:
    """测试 and two characters of 4,096 each: a live server's tests create dozens of patients, and
    the 256 names of one hex digit a character met twice on one pharmacist's board."""
    digits = uuid.uuid4().hex
    return "测试" + "".join(chr(0x4E00 + int(digits[i : i + 3], 16)) for i in (0, 3))


def register_patient(page: Page, name: str) -> None:
    page.goto("/app/patients")
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("性别").select_option("female")
    page.get_by_label("出生日期").fill("1958-06-01")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page).to_have_url(re.compile(r"/app/patients/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)


def save_visit(page: Page, complaint: str, **vitals: str) -> None:
    page.get_by_label("主诉").fill(complaint)
    for field, value in vitals.items():
        page.locator(f"#e-{field}").fill(value)
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")


def add_symptom(page: Page, typed: str, name: str) -> None:
    page.get_by_label("症状（输入中文、拼音首字母或英文）").fill(typed)
    page.locator("#dx-hits button", has_text=name).first.click()
    expect(page.locator("#dx-evidence")).to_contain_text(name)


def prescribe(page: Page, drug: tuple[str, str, str], days: str = "7") -> None:
    code, typed, dose = drug  # dose: a count of the product's unit (1 片)
    page.get_by_label("药品（名称或拼音首字母）").fill(typed)
    page.locator(f"#rx-hits button[data-code='{code}']").click()
    page.locator("#rx-dose").fill(dose)
    page.get_by_label("天数").fill(days)
    page.get_by_role("button", name="加入处方").click()


def central_order(live_server, name: str) -> int:
    """A new patient ``name`` prescribed a drug no village clinic stocks: the central order's id."""
    doctor = live_server.api("village_doctor")
    patient = doctor.post(
        "/api/v1/patients", json={"name": name, "sex": "male", "birth_date": "1950-01-01"}
    ).json()
    encounter = doctor.post(
        f"/api/v1/patients/{patient['id']}/encounters", json={"chief_complaint": "血脂高复诊"}
    ).json()
    line = {"drug": CENTRAL_DRUG[0], "dose": 10, "frequency": "qd", "days": 7}
    answer = doctor.post(
        f"/api/v1/encounters/{encounter['id']}/prescriptions", json={"lines": [line]}
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["pharmacy_order_id"]


def check_page(page: Page, name: str) -> None:
    screenshot(page, name, full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)


def test_a_village_doctors_whole_visit_from_login_to_printed_receipt(page_as, stocked):
    page = page_as("village_doctor")
    name = new_patient_name()
    register_patient(page, name)
    save_visit(page, "发热咽痛两天", sbp="126", dbp="78", temp="38.4")

    add_symptom(page, "fr", "发热")
    add_symptom(page, "咳嗽", "咳嗽")
    add_symptom(page, "咽痛", "咽痛")
    page.get_by_role("button", name="获取诊断建议").click()
    result = page.locator("#dx-result")
    expect(result.locator(".triage")).to_be_visible()
    expect(result.locator("table tbody tr")).to_have_count(5)
    first = result.locator("table tbody tr").first
    first.get_by_role("button", name=re.compile("^确诊")).click()
    expect(page.locator("#notice")).to_contain_text("已记录确诊")  # the picker's list and note
    expect(page.locator("#dx-confirmed .dx-confirmed-name")).to_have_count(1)

    page.get_by_label("舌质").select_option("red")
    page.get_by_label("舌苔").select_option("yellow")
    page.locator("#t-pulse").get_by_label("弦", exact=True).check()
    page.locator("#t-symptoms").fill("阵发性眩晕，口干口苦，无胸闷胸痛")
    page.get_by_role("button", name="获取辨证建议").click()
    expect(page.locator("#tcm-result")).to_contain_text("证型")
    expect(page.locator("#tcm-result")).to_contain_text("治法")

    prescribe(page, CLINIC_DRUG)
    prescribe(page, CENTRAL_DRUG)
    page.get_by_role("button", name="开具处方").click()
    lines = page.locator("#rx-result table tbody tr")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text("本室发药")
    expect(lines.nth(1)).to_contain_text("中心药房配送")
    expect(page.locator("#rx-result")).to_contain_text("中心药房订单")
    check_page(page, "visit-page")

    # one bill per visit: the drugs and the preselected consultation fee, one receipt
    bill = page.locator("#bill")
    expect(bill).to_contain_text("一般诊疗费")
    expect(bill).to_contain_text("瑞舒伐他汀")
    page.get_by_role("button", name="结算本次就诊").click()
    print_link = page.locator("#settlement").get_by_role("link", name="打印收据")
    expect(print_link).to_be_visible()
    with page.expect_popup() as popup:
        print_link.click()
    receipt = popup.value
    expect(receipt.locator("body")).to_contain_text(name)
    expect(receipt.locator("body")).to_contain_text("瑞舒伐他汀")
    expect(receipt.locator("body")).to_contain_text("一般诊疗费")
    screenshot(receipt, "receipt", full_page=True)
    assert page_errors(page) == []


def test_the_visit_form_works_with_the_keyboard_alone(page_as):
    page = page_as("village_doctor")
    register_patient(page, new_patient_name())
    page.get_by_label("主诉").focus()
    page.keyboard.type("头晕")
    order = ["e-sbp", "e-dbp", "e-hr", "e-temp", "e-spo2", "e-glu", "e-fasting", "e-weight"]
    typed = {"e-sbp": "150", "e-dbp": "92", "e-hr": "80"}
    for field in order:
        page.keyboard.press("Tab")
        expect(page.locator(f"#{field}")).to_be_focused()
        if field in typed:
            page.keyboard.type(typed[field])
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="保存就诊")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    expect(page.locator("#history")).to_contain_text("150/92")


def test_a_consultation_where_doctor_and_specialist_chat_live(page_as):
    specialist = page_as("specialist")
    expect(specialist.locator("#connection")).to_have_text("已连接")
    if not specialist.locator("#available").is_checked():
        specialist.locator("#available").check()
    check_page(specialist, "specialist-desk")

    doctor = page_as("village_doctor")
    register_patient(doctor, new_patient_name())
    save_visit(doctor, "胸闷两小时", sbp="182", dbp="112")
    doctor.get_by_label("科室").select_option("cardiology")
    doctor.get_by_label("紧急程度").select_option("urgent")
    doctor.get_by_label("会诊原因").fill("胸闷伴血压升高")
    doctor.get_by_role("button", name="申请会诊").click()
    room_link = doctor.locator("#consult-status a")
    expect(room_link).to_be_visible()
    doctor.goto(room_link.get_attribute("href"))

    request = specialist.locator("#queue tr", has_text="胸闷伴血压升高")
    expect(request).to_be_visible()  # arrived on the open desk without a reload
    request.get_by_role("button", name=re.compile("^接诊")).click()
    expect(specialist).to_have_url(re.compile(r"/app/consult/\d+$"))
    expect(specialist.locator("#summary")).to_contain_text("胸闷两小时")
    expect(doctor.locator("#state")).to_have_text("已接诊")

    doctor.get_by_label("消息").fill("心电图稍后发送")
    doctor.get_by_label("消息").press("Enter")
    expect(specialist.locator("#log")).to_contain_text("心电图稍后发送")
    specialist.get_by_label("消息").fill("请立即复测血压")
    specialist.get_by_label("消息").press("Enter")
    expect(doctor.locator("#log")).to_contain_text("请立即复测血压")
    check_page(doctor, "consultation-room")

    specialist.get_by_label("评估").fill("高血压急症可能")
    specialist.get_by_label("建议", exact=True).fill("立即转县医院心内科")
    specialist.get_by_label("建议转诊到本科").check()
    specialist.get_by_role("button", name="提交意见并结束会诊").click()
    expect(doctor.locator("#result")).to_contain_text("立即转县医院心内科")
    expect(doctor.locator("#state")).to_have_text("已结束")
    assert page_errors(doctor) == [] and page_errors(specialist) == []


def test_the_pharmacists_board_updates_live_when_a_prescription_creates_an_order(
    page_as, live_server, stocked
):
    board = page_as("pharmacist")
    expect(board.locator("#connection")).to_have_text("已连接")

    name = new_patient_name()
    central_order(live_server, name)

    order_row = board.locator("#board tr", has_text=name)
    expect(order_row).to_be_visible()  # pushed over /pharmacy: no reload
    expect(board.locator("#news")).to_contain_text("新订单")
    check_page(board, "pharmacy-board")
    order_row.get_by_role("button", name=re.compile("^配药")).click()
    expect(board.locator("#board tr", has_text=name)).to_have_count(0)  # picked: off the list
    assert page_errors(board) == []


def test_the_admin_reports_page_fits_and_passes_axe(page_as):
    page = page_as("admin")
    expect(page.locator("#report table")).to_be_visible()
    check_page(page, "admin-reports")


def test_an_admin_creates_a_user_on_the_users_page(page_as, new_page, live_server):
    page = page_as("admin")
    page.goto("/app/admin/users")
    username = f"cunyi{uuid.uuid4().hex[:6]}"
    page.get_by_label("用户名（小写字母、数字）").fill(username)
    page.get_by_label("姓名").fill("新村医")
    # the place is chosen by name, and only the one the role needs is asked for
    page.get_by_label("角色").select_option("specialist")
    expect(page.get_by_label("村卫生室")).to_be_hidden()
    expect(page.get_by_label("医院科室")).to_contain_text("心血管内科 · 青山县人民医院")
    page.get_by_label("角色").select_option("village_doctor")
    expect(page.get_by_label("医院科室")).to_be_hidden()
    page.get_by_label("村卫生室").select_option(label="塘口村卫生室")
    page.get_by_label("初始密码（至少12位）").fill("short")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("#problem")).to_be_visible()  # the API's refusal, shown on the page
    page.get_by_label("初始密码（至少12位）").fill("a long enough password 9")
    page.get_by_role("button", name="创建").click()
    expect(page.locator("#users")).to_contain_text(username)
    created = live_server.api("admin").get("/api/v1/users?limit=500").json()["items"]
    assert [u["clinic_code"] for u in created if u["username"] == username] == ["V03-02"]
    check_page(page, "admin-users")


def test_the_patient_search_page_fits_and_passes_axe(page_as):
    page = page_as("village_doctor")
    name = new_patient_name()
    register_patient(page, name)
    page.goto("/app/patients")
    page.get_by_label("姓名、拼音首字母或身份证后4位").fill(name)
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#results")).to_contain_text(name)
    check_page(page, "patients")
