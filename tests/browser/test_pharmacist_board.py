"""The pharmacist's board as they read it (issue 14): clinics and towns by name, strengths on
every line, a short fill from the page, the delivery note with names and strengths, past runs
printed again; and no menu link the pharmacist cannot open."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.support import assert_accessible, assert_no_overflow, page_errors, screenshot
from tests.browser.test_workflows import CENTRAL_DRUG, central_order, new_patient_name, receive


def test_the_board_names_clinics_shows_strengths_and_fills_short(page_as, live_server):
    receive(live_server.api("pharmacist"), CENTRAL_DRUG[0], 60)
    clinic = live_server.api("admin").get("/api/v1/facilities/V01-01").json()
    clinic_name = clinic["name"]["zh"]
    name = new_patient_name()
    order_id = central_order(live_server, name)

    board = page_as("pharmacist")
    expect(board.locator("#connection")).to_have_text("已连接")
    menu = board.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link")).to_have_text(["配送调度"])  # no 用户与机构 that bounces

    row = board.locator("#board tr", has_text=name)
    expect(row).to_contain_text(clinic_name)  # the name, with the code small beside it
    expect(row).to_contain_text("10 mg")
    screenshot(board, "pharmacist-board", full_page=True)
    assert_no_overflow(board)
    assert_accessible(board)

    row.get_by_role("button", name=f"少发或替代 #{order_id}").click()
    dialog = board.get_by_role("dialog")
    expect(dialog).to_contain_text("10 mg")
    expect(dialog.get_by_label(re.compile("^替代药品"))).to_contain_text("原药")
    dialog.get_by_label(re.compile("^数量")).fill("5")
    screenshot(board, "pharmacist-fill-dialog")
    assert_accessible(board)
    dialog.get_by_role("button", name="按此配药").click()
    expect(dialog).to_be_hidden()
    expect(board.locator("#board tr", has_text=name)).to_have_count(0)  # picked, off the list

    town_card = board.locator("#board section.card", has_text=f"#{order_id}")
    with board.expect_popup() as popup:
        town_card.get_by_role("button", name=re.compile("^生成配送单")).click()
    note = popup.value
    expect(note.locator("body")).to_contain_text(clinic_name)
    expect(note.locator("body")).to_contain_text(name)
    expect(note.locator("body")).to_contain_text("10 mg × 5")
    expect(note.locator("body")).to_contain_text("缺货，应发 7")
    screenshot(note, "delivery-note", full_page=True)

    runs = board.locator("#runs")
    first = runs.locator("tbody tr").first
    expect(first).to_contain_text(clinic["name"]["zh"])
    with board.expect_popup() as again:
        first.get_by_role("link", name=re.compile("^重新打印")).click()
    expect(again.value.locator("body")).to_contain_text(name)
    screenshot(board, "pharmacist-runs", full_page=True)
    assert page_errors(board) == []


def test_a_collected_order_leaves_todays_list(page_as, live_server):
    receive(live_server.api("pharmacist"), CENTRAL_DRUG[0], 60)
    name = new_patient_name()
    order_id = central_order(live_server, name)
    pharmacist = live_server.api("pharmacist")
    assert pharmacist.post(f"/api/v1/pharmacy/orders/{order_id}/pick", json={}).status_code == 200
    town = pharmacist.get(f"/api/v1/pharmacy/orders/{order_id}").json()["town"]
    assert pharmacist.post("/api/v1/pharmacy/delivery-runs", json={"town": town}).status_code == 201
    doctor_api = live_server.api("village_doctor")
    assert doctor_api.post(f"/api/v1/pharmacy/orders/{order_id}/delivery").status_code == 200

    doctor = page_as("village_doctor")
    row = doctor.locator("#orders tr", has_text=name)
    expect(row).to_contain_text("10 mg")
    row.get_by_role("button", name="患者已取药").click()
    expect(doctor.locator("#orders tr", has_text=name)).to_have_count(0)
    # A second press from a stale list changes nothing and is no error.
    again = doctor_api.post(f"/api/v1/pharmacy/orders/{order_id}/pick-up")
    assert again.status_code == 200
    doctor.reload()
    expect(doctor.locator("#orders")).not_to_contain_text("正在加载")
    expect(doctor.locator("#orders tr", has_text=name)).to_have_count(0)
    assert page_errors(doctor) == []
