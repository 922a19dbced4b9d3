"""Issue 14's layout at 1024×768, page by page: every page is screenshotted (acceptance 4:
``test-artifacts/screenshots/layout-*.png``), fits the window, has touch targets of at least
44 px and numbers on one line; the visit page shows the programs, readings and history beside
the form, and the readings chart has value ticks and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    assert_no_overflow,
    assert_numbers_on_one_line,
    assert_touch_targets,
    page_errors,
    screenshot,
)
from tests.browser.test_workflows import new_patient_name

READINGS = [(300, 168, 98), (200, 154, 92), (90, 150, 90), (10, 138, 84)]  # days ago, sbp, dbp


@pytest.fixture
def patient_with_readings(live_server) -> dict:
    """A patient of the village doctor with four visits over ten months, BP at each."""
    api = live_server.api("village_doctor")
    patient = api.post(
        "/api/v1/patients",
        json={"name": new_patient_name(), "sex": "male", "birth_date": "1952-04-02"},
    )
    assert patient.status_code == 201, patient.text
    patient_id = patient.json()["id"]
    now = dt.datetime.now(dt.UTC)
    encounter_id = None
    for days_ago, sbp, dbp in READINGS:
        visit = api.post(
            f"/api/v1/patients/{patient_id}/encounters",
            json={
                "chief_complaint": "高血压复查",
                "occurred_at": (now - dt.timedelta(days=days_ago)).isoformat(),
                "vitals": {"sbp": sbp, "dbp": dbp, "heart_rate": 76},
            },
        )
        assert visit.status_code == 201, visit.text
        encounter_id = visit.json()["id"]
    return {"id": patient_id, "last_encounter": encounter_id}


def check_layout(page: Page, name: str) -> None:
    """Screenshot (the screen and the whole page), then the layout rules of issue 14."""
    page.wait_for_load_state("networkidle")
    screenshot(page, f"layout-{name}")
    screenshot(page, f"layout-{name}-full", full_page=True)
    assert_no_overflow(page)
    assert_touch_targets(page)
    assert_numbers_on_one_line(page)
    assert page_errors(page) == []


def test_the_login_page_layout(new_page):
    page = new_page()
    page.goto("/login")
    check_layout(page, "login")


def test_the_visit_page_has_the_history_beside_the_form_and_a_chart_with_axes(
    page_as, patient_with_readings
):
    page = page_as("village_doctor")
    page.goto(f"/app/patients/{patient_with_readings['id']}")
    expect(page.locator("#history td.num", has_text="138/84")).to_be_visible()
    expect(page.locator("#chart svg")).to_be_visible()

    form, side = page.locator(".visit > .col").all()
    form_box, side_box = form.bounding_box(), side.bounding_box()
    assert side_box["x"] >= form_box["x"] + form_box["width"], "the columns are stacked"
    assert abs(side_box["y"] - form_box["y"]) < 2
    assert side_box["width"] < form_box["width"]  # the side column is the narrower one

    ticks = page.locator("#chart svg text").all_text_contents()
    assert "mmHg" in ticks
    assert sum(t.isdigit() for t in ticks) >= 3, f"value ticks: {ticks}"
    oldest = (dt.datetime.now(dt.UTC) - dt.timedelta(days=READINGS[0][0])).astimezone(
        dt.timezone(dt.timedelta(hours=8))
    )
    assert oldest.strftime("%m-%d") in ticks and str(oldest.year) in ticks, ticks
    department = page.locator("#c-department")
    assert department.evaluate("s => s.scrollWidth <= s.clientWidth + 1"), "department cut off"
    check_layout(page, "visit")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_today_pages_worklist_tiles_fit_without_sideways_scrolling(
    page_as, patient_with_readings, lang
):
    page = page_as("village_doctor", lang=lang)
    page.goto("/app/today")
    expect(page.locator("[data-worklist='due-today']")).not_to_contain_text("…")
    check_layout(page, f"today-{lang}")
    tiles = page.locator(".grid2 > .card > div")
    for tile in tiles.all():
        assert tile.evaluate("t => t.scrollWidth <= t.clientWidth + 1"), tile.inner_text()[:80]


def test_the_village_doctors_other_pages_layout(page_as, live_server, patient_with_readings):
    page = page_as("village_doctor")
    page.goto("/app/patients")
    check_layout(page, "patients")
    consultation = live_server.api("village_doctor").post(
        f"/api/v1/encounters/{patient_with_readings['last_encounter']}/consultations",
        json={"department": "cardiology", "reason": "血压控制不佳"},
    )
    assert consultation.status_code == 201, consultation.text
    page.goto(f"/app/consult/{consultation.json()['id']}")
    check_layout(page, "consult-room")


@pytest.mark.parametrize(
    ("role", "path", "name"),
    [
        ("specialist", "/app/consult", "consult-desk"),
        ("pharmacist", "/app/pharmacy", "pharmacy"),
        ("admin", "/app/reports", "reports"),
        ("admin", "/app/admin/users", "admin-users"),
    ],
)
def test_the_other_roles_pages_layout(page_as, role, path, name):
    page = page_as(role)
    page.goto(path)
    check_layout(page, name)
