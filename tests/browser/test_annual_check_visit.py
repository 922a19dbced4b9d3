"""The yearly health check (年度健康体检) recorded on the visit page, in Chromium at 1024×768.

A managed patient without this year's check is on the today page's list (今年未做年度体检). The
doctor opens them, sees 今年尚未体检 with the last check's date in the follow-up card, presses
记录今年体检 (height and weight come from what was typed for the follow-up), adds the waist and
the findings, and saves: a refusal first (a waist out of range) in Chinese in the page, then the
check, linked to this visit, marked done, and the patient has left the list.
"""

from __future__ import annotations

import datetime as dt
import uuid

from playwright.sync_api import expect

from gpassist.db import shanghai_today
from tests.browser.support import (
    assert_accessible,
    assert_no_overflow,
    assert_touch_targets,
    page_errors,
    screenshot,
)


def enrolled_patient(api) -> tuple[int, str]:
    """A hypertensive patient of the doctor's clinic, enrolled today, with no check this year."""
    name = "体检" + "".join(chr(0x4E00 + int(c, 16)) for c in uuid.uuid4().hex[:3])
    created = api.post(
        "/api/v1/patients", json={"name": name, "sex": "male", "birth_date": "1955-02-10"}
    )
    assert created.status_code == 201, created.text
    patient = created.json()["id"]
    past = api.post(
        f"/api/v1/patients/{patient}/encounters",
        json={
            "chief_complaint": "确诊",
            "diagnoses": ["I10"],
            "occurred_at": "2024-01-02T09:00:00+08:00",
        },
    )
    assert past.status_code == 201, past.text
    enrolled = api.post(f"/api/v1/patients/{patient}/enrolments", json={"program": "hypertension"})
    assert enrolled.status_code == 201, enrolled.text
    return patient, name


def due_for_a_check(api) -> list[int]:
    answer = api.get("/api/v1/follow-ups/annual-checks-due")
    assert answer.status_code == 200, answer.text
    return [e["patient_id"] for e in answer.json()["items"]]


def test_a_doctor_records_this_years_health_check_in_the_visit(page_as, live_server):
    api = live_server.api("village_doctor")
    patient, name = enrolled_patient(api)
    last_year = dt.date(shanghai_today().year - 1, 4, 2)
    earlier = api.post(
        f"/api/v1/patients/{patient}/annual-checks", json={"check_date": last_year.isoformat()}
    )
    assert earlier.status_code == 201, earlier.text
    assert patient in due_for_a_check(api)
    today = shanghai_today().isoformat()

    page = page_as("village_doctor")
    page.goto("/app/today")
    page.locator("#annual-checks").get_by_role("link", name=name).click()
    expect(page).to_have_url(f"{live_server.url}/app/patients/{patient}")
    card = page.locator("#followup")
    status = card.locator("#ac-status")
    expect(status).to_have_text(f"今年尚未体检（上次体检：{last_year.isoformat()}）")
    # Height typed for the follow-up, weight among the visit's vitals: typed once.
    page.locator("#fu-form").get_by_label("身高 cm").fill("162")
    page.locator("#e-weight").fill("64.5")
    record = card.get_by_role("button", name="记录今年体检")
    record.click()
    check = card.locator("#ac-form")
    expect(record).to_have_attribute("aria-expanded", "true")
    expect(check.get_by_label("身高 cm")).to_have_value("162")
    expect(check.get_by_label("体重 kg")).to_have_value("64.5")
    expect(check.get_by_label("腰围 cm")).to_be_focused()  # the first field still empty

    check.get_by_label("腰围 cm").fill("300")  # mistyped: beyond 250 cm
    check.get_by_label("体检所见").fill("心电图正常，眼底未见异常")
    check.get_by_role("button", name="保存体检").click()
    problem = page.locator("#problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("腰围")
    assert "body." not in problem.inner_text() and "waist" not in problem.inner_text()
    expect(status).to_contain_text("今年尚未体检")
    expect(check.get_by_role("button", name="保存体检")).to_be_enabled()

    check.get_by_label("腰围 cm").fill("86")
    card.locator("#fu-annual").scroll_into_view_if_needed()
    screenshot(page, "visit-annual-check")
    assert_no_overflow(page)
    assert_touch_targets(page)
    assert_accessible(page)
    check.get_by_role("button", name="保存体检").click()

    expect(status).to_have_text(f"今年体检：已完成（{today}）")
    expect(page.locator("#notice")).to_contain_text(f"已记录今年的健康体检（{today}）")
    expect(problem).to_be_hidden()
    expect(check).to_be_hidden()
    expect(record).to_be_hidden()
    expect(page.locator("#encounter-status")).to_have_text("已保存")  # the visit, saved first
    screenshot(page, "visit-annual-check-done")
    assert_no_overflow(page)

    checks = api.get(f"/api/v1/patients/{patient}/annual-checks").json()["items"]
    assert [c["check_date"] for c in checks] == [today, last_year.isoformat()]
    assert checks[0]["encounter_id"] == page.evaluate("visitPage.encounterId()")
    assert checks[0]["findings"] == {
        "height_cm": 162,
        "weight_kg": 64.5,
        "waist_cm": 86,
        "findings": "心电图正常，眼底未见异常",
        "bmi": 24.6,
    }
    assert patient not in due_for_a_check(api)

    page.goto("/app/today")  # the today page's list has let them go
    listed = page.locator("#annual-checks")
    expect(listed.locator("table, .empty").first).to_be_visible()
    expect(listed).not_to_contain_text(name)
    page.goto(f"/app/patients/{patient}")  # done stays done: no button to record a second
    expect(page.locator("#ac-status")).to_have_text(f"今年体检：已完成（{today}）")
    expect(page.locator("#ac-open")).to_be_hidden()
    assert not page_errors(page)


def test_an_admin_reads_the_check_in_english_and_cannot_record_one(page_as, live_server):
    patient, _ = enrolled_patient(live_server.api("village_doctor"))
    page = page_as("admin", lang="en")
    page.goto(f"/app/patients/{patient}")
    card = page.locator("#followup")
    expect(card.get_by_role("heading", name="Annual health check")).to_be_visible()
    expect(card.locator("#ac-status")).to_have_text("No health check this year yet (never checked)")
    expect(card.locator("#ac-open")).to_have_count(0)
    expect(card.locator("#ac-form")).to_have_count(0)
    assert_no_overflow(page)
    assert not page_errors(page)
