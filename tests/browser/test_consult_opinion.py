"""Issue 14's consultation findings in Chromium: the specialist's availability is kept across a
reload; a new request rings and shows on the open desk; the case summary lists the patient's
current medicines and programs; the call buttons go grey once the consultation is closed; and the
opinion reaches the doctor who left the room — on today's list and on the visit page, marked
新意见 until opened."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot
from tests.browser.test_workflows import CLINIC_DRUG, new_patient_name, receive


def set_available(desk: Page, available: bool) -> None:
    toggle = desk.locator("#available")
    expect(desk.locator("#availability-note")).not_to_be_empty()  # the kept state has loaded
    if toggle.is_checked() != available:
        toggle.click()
    expect(toggle).to_be_checked(checked=available)
    expect(desk.locator("#availability-note")).to_contain_text(
        "未在线" if not available else "在线"
    )


def enrolled_patient_with_medicine(live_server, name: str) -> tuple[int, int]:
    doctor = live_server.api("village_doctor")
    receive(doctor, CLINIC_DRUG[0], 60)
    patient = doctor.post(
        "/api/v1/patients", json={"name": name, "sex": "male", "birth_date": "1956-04-01"}
    ).json()["id"]
    diagnosed = doctor.post(
        f"/api/v1/patients/{patient}/encounters",
        json={"chief_complaint": "确诊高血压", "diagnoses": ["I10"]},
    )
    assert diagnosed.status_code == 201, diagnosed.text
    enrolled = doctor.post(
        f"/api/v1/patients/{patient}/enrolments", json={"program": "hypertension"}
    )
    assert enrolled.status_code == 201, enrolled.text
    visit = doctor.post(
        f"/api/v1/patients/{patient}/encounters",
        json={"chief_complaint": "头晕一周", "vitals": {"sbp": 168, "dbp": 102}},
    ).json()["id"]
    line = {"drug": CLINIC_DRUG[0], "dose": 5, "frequency": "qd", "days": 28}
    rx = doctor.post(f"/api/v1/encounters/{visit}/prescriptions", json={"lines": [line]})
    assert rx.status_code == 201, rx.text
    return patient, visit


def test_availability_is_kept_across_a_reload(page_as):
    desk = page_as("specialist")
    expect(desk.locator("#connection")).to_have_text("已连接")
    set_available(desk, False)
    desk.reload()
    expect(desk.locator("#availability-note")).to_contain_text("未在线")
    expect(desk.locator("#available")).not_to_be_checked()
    set_available(desk, True)
    desk.reload()
    expect(desk.locator("#availability-note")).to_contain_text("在线")
    expect(desk.locator("#available")).to_be_checked()
    assert page_errors(desk) == []


def test_the_opinion_reaches_the_doctor_after_the_room(page_as, live_server):
    desk = page_as("specialist")
    expect(desk.locator("#connection")).to_have_text("已连接")
    set_available(desk, True)

    name = new_patient_name()
    patient, visit = enrolled_patient_with_medicine(live_server, name)
    reason = f"血压控制不佳 {name}"
    opened = live_server.api("village_doctor").post(
        f"/api/v1/encounters/{visit}/consultations",
        json={"reason": reason, "urgency": "urgent", "department": "cardiology"},
    )
    assert opened.status_code == 201, opened.text
    consultation_id = opened.json()["id"]

    # The open desk rings and says so, without a reload.
    expect(desk.locator("#desk-news")).to_contain_text(reason)
    expect(desk.locator("#desk")).to_have_attribute("data-rings", re.compile(r"^[1-9]"))
    screenshot(desk, "consult-desk-new-request")
    assert_no_overflow(desk)
    assert_accessible(desk)

    desk.locator("#queue tr", has_text=reason).get_by_role(
        "button", name=re.compile("^接诊")
    ).click()
    expect(desk).to_have_url(re.compile(rf"/app/consult/{consultation_id}$"))
    summary = desk.locator("#summary")
    expect(summary).to_contain_text("正在服用的药品")
    expect(summary).to_contain_text("氨氯地平")
    expect(summary).to_contain_text("5 mg")
    expect(summary).to_contain_text("每日 1 次")
    expect(summary).to_contain_text("高血压")
    expect(desk.locator("#call-video")).to_be_enabled()

    desk.get_by_label("评估").fill("高血压2级，控制不佳")
    desk.get_by_label("建议", exact=True).fill("加用氢氯噻嗪12.5mg每日一次，两周后复诊")
    desk.get_by_role("button", name="提交意见并结束会诊").click()
    expect(desk.locator("#state")).to_have_text("已结束")
    expect(desk.locator("#call-video")).to_be_disabled()
    expect(desk.locator("#call-audio")).to_be_disabled()
    expect(desk.locator("#hangup")).to_be_disabled()
    screenshot(desk, "consult-room-closed", full_page=True)

    # The doctor never went back into the room: the opinion is on the visit page, marked new…
    doctor = page_as("village_doctor")
    doctor.goto(f"/app/patients/{patient}")
    item = doctor.locator(f"#consultation-{consultation_id}")
    expect(item).to_contain_text("新意见")
    expect(item).to_contain_text("心血管内科")
    screenshot(doctor, "visit-consultations", full_page=True)

    # …and on today's list, still new, until the doctor opens it from there.
    doctor.goto("/app/today")
    row = doctor.locator("#consults tr", has_text=reason)
    expect(row.locator(".unread")).to_have_text("新意见")
    screenshot(doctor, "today-new-opinion", full_page=True)
    assert_no_overflow(doctor)
    assert_accessible(doctor)
    row.get_by_role("link", name=re.compile("新意见")).click()
    expect(doctor).to_have_url(
        re.compile(rf"/app/patients/{patient}#consultation-{consultation_id}$")
    )
    opinion = doctor.locator(f"#consultation-{consultation_id} details")
    expect(opinion).to_have_attribute("open", "")
    expect(opinion).to_contain_text("加用氢氯噻嗪")
    expect(opinion.locator(".unread")).to_have_count(0)

    doctor.goto("/app/today")
    expect(doctor.locator("#consults")).not_to_contain_text("正在加载")
    expect(doctor.locator("#consults tr", has_text=reason)).to_have_count(0)  # read: off the list
    doctor.goto(f"/app/patients/{patient}")
    expect(doctor.locator(f"#consultation-{consultation_id}")).to_contain_text("加用氢氯噻嗪")
    expect(doctor.locator(f"#consultation-{consultation_id} .unread")).to_have_count(0)
    assert page_errors(doctor) == [] and page_errors(desk) == []
