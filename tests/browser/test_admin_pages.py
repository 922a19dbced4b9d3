"""The administrator's pages (issue 14): the overview says its period, towns are chosen by
name, the follow-up chart is drawn in the page (no 3 s server-rendered image); the users page
has a search box, shows who is locked and offers 解锁 only there."""

from __future__ import annotations

import re
import uuid

import requests
from playwright.sync_api import expect

from gpassist.db import shanghai_today
from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot


def test_the_overview_says_its_period_and_towns_are_chosen_by_name(page_as, live_server):
    page = page_as("admin")
    today = shanghai_today()
    period = page.locator("#overview-period")
    expect(period).to_have_text(
        f"统计期间：{today.year}年{today.month}月1日—{today.month}月{today.day}日 · 全县"
    )
    towns = live_server.api("admin").get("/api/v1/towns").json()["items"]
    town = towns[0]["name"]["zh"]
    page.get_by_label("乡镇", exact=True).select_option(label=town)
    page.locator("#overview-form").get_by_role("button", name="查看").click()
    expect(period).to_contain_text(town)

    chart = page.locator("#chart")
    expect(chart.locator("svg")).to_have_count(2)
    expect(chart).to_contain_text("1月")
    expect(chart.locator("#chart-legend")).to_contain_text(town)
    page.get_by_label("范围").select_option(label=town + "（按村卫生室）")
    page.locator("#report-form").get_by_role("button", name="查看").click()
    expect(page.locator("#report tbody tr").last).to_contain_text(town)
    screenshot(page, "admin-reports", full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)
    assert page_errors(page) == []


def lock(live_server, username: str, password: str) -> None:
    for _ in range(5):  # GPASSIST_LOGIN_MAX_FAILURES
        requests.post(
            f"{live_server.url}/api/v1/auth/token",
            json={"username": username, "password": password + "-wrong"},
            timeout=30,
        )


def test_users_are_searched_and_only_locked_ones_offer_unlock(page_as, live_server):
    username = f"locked{uuid.uuid4().hex[:6]}"
    password = "a long enough password 9"
    made = live_server.api("admin").post(
        "/api/v1/users",
        json={
            "username": username,
            "display_name": "锁定测试",
            "role": "village_doctor",
            "clinic_code": "V01-01",
            "password": password,
        },
    )
    assert made.status_code == 201, made.text
    lock(live_server, username, password)

    page = page_as("admin")
    page.goto("/app/admin/users")
    rows = page.locator("#users tbody tr")
    expect(rows.first).to_be_visible()
    # 解锁 appears exactly on the locked rows.
    expect(page.get_by_role("button", name=re.compile("^解锁"))).to_have_count(
        page.locator("#users tbody tr", has_text="已锁定").count()
    )
    page.get_by_label("搜索用户").fill("锁定测试")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("已锁定")
    expect(rows).to_contain_text("东街村卫生室")  # the clinic by name
    screenshot(page, "admin-users-search", full_page=True)
    assert_no_overflow(page)
    assert_accessible(page)
    rows.get_by_role("button", name=f"解锁 {username}").click()
    expect(rows).to_contain_text("正常")
    expect(rows.get_by_role("button", name=re.compile("^解锁"))).to_have_count(0)

    page.get_by_label("搜索用户").fill("wang.cunyi")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("王村医")
    page.get_by_label("搜索用户").fill("")
    page.get_by_label("只看已锁定").check()
    expect(page.locator("#users tbody tr", has_text="正常")).to_have_count(0)
    assert page_errors(page) == []
    # The lock really is gone: the user logs in.
    answer = requests.post(
        f"{live_server.url}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=30,
    )
    assert answer.status_code == 201


def test_the_period_reads_in_english_too(page_as):
    page = page_as("admin", lang="en")
    today = shanghai_today()
    month = today.strftime("%b")
    expect(page.locator("#overview-period")).to_have_text(
        f"Period: 1 {month} – {today.day} {month} {today.year} · Whole county"
    )
    expect(page.locator("#chart-title")).to_contain_text("by month")
    assert page_errors(page) == []
