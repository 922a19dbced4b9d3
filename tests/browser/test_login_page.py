"""The login page and the start page in Chromium, on the real server, at 1024×768."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    START_PAGE,
    assert_accessible,
    assert_chinese_renders,
    assert_no_overflow,
    page_errors,
    screenshot,
)


def test_the_login_page_is_chinese_fits_the_tablet_and_passes_axe(new_page):
    page = new_page()
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_be_visible()
    assert_chinese_renders(page, "main")
    screenshot(page, "login-zh")
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


def test_a_village_doctor_logs_in_with_the_keyboard_only(new_page, live_server):
    doctor = live_server.users["village_doctor"]
    page = new_page()
    page.goto("/login")
    username, password = page.get_by_label("用户名"), page.get_by_label("密码")
    submit = page.get_by_role("button", name="登录")

    expect(username).to_be_focused()  # the cursor is in the first field, no click needed
    page.keyboard.type(doctor.username)
    page.keyboard.press("Tab")
    expect(password).to_be_focused()
    page.keyboard.type(doctor.password)
    page.keyboard.press("Tab")
    expect(submit).to_be_focused()
    page.keyboard.press("Enter")

    expect(page).to_have_url(START_PAGE)
    expect(page.get_by_role("banner")).to_contain_text(f"{doctor.display_name} · 村医")
    assert page_errors(page) == []


def test_a_wrong_password_is_refused_in_chinese_and_the_retry_works(new_page, live_server):
    # Not the main village doctor: failed logins count towards that account's lockout.
    doctor = live_server.users["other_village_doctor"]
    page = new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(doctor.username)
    page.get_by_label("密码").fill("not the password")
    page.get_by_label("密码").press("Enter")

    expect(page.get_by_role("alert").filter(has_text="用户名或密码错误")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("用户名")).to_have_value(doctor.username)  # no retyping
    screenshot(page, "login-wrong-password-zh")
    assert_no_overflow(page)
    assert_accessible(page)

    page.get_by_label("密码").fill(doctor.password)
    page.get_by_label("密码").press("Enter")
    expect(page).to_have_url(START_PAGE)
    expect(page.get_by_role("banner")).to_contain_text(doctor.display_name)


def test_the_language_switch_shows_english_and_stays_after_login(new_page, live_server):
    pharmacist = live_server.users["pharmacist"]
    page = new_page()
    page.goto("/login")
    page.get_by_role("link", name="English").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot(page, "login-en")
    assert_no_overflow(page)
    assert_accessible(page)

    page.get_by_label("Username").fill(pharmacist.username)
    page.get_by_label("Password").fill(pharmacist.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(START_PAGE)
    banner = page.get_by_role("banner")
    expect(banner).to_contain_text(f"{pharmacist.display_name} · Pharmacist")
    expect(banner.get_by_role("button", name="Log out")).to_be_visible()

    page.get_by_role("link", name="中文").click()
    expect(page).to_have_url(START_PAGE)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(banner).to_contain_text(f"{pharmacist.display_name} · 药师")


ROLE_ZH = {
    "village_doctor": "村医",
    "specialist": "专科医生",
    "pharmacist": "药师",
    "admin": "管理员",
}


@pytest.mark.parametrize("role", sorted(ROLE_ZH))
def test_every_roles_start_page_is_chinese_fits_and_passes_axe(page_as, live_server, role):
    page = page_as(role)
    name = live_server.users[role].display_name
    expect(page.get_by_role("banner")).to_contain_text(f"{name} · {ROLE_ZH[role]}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_chinese_renders(page, "main")
    screenshot(page, f"start-{role.replace('_', '-')}")
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


def test_logging_out_returns_to_the_login_page_and_closes_the_pages(page_as):
    page = page_as("village_doctor")
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/app")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
