"""The page checks and fixtures themselves do what they promise.

A layout or accessibility check that passes everything would make every page test worthless,
so each is shown a page with the problem it exists to find (these need only Chromium).
"""

from __future__ import annotations

import os

import pytest

from tests.browser.support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    assert_accessible,
    assert_chinese_renders,
    assert_no_overflow,
    assert_numbers_on_one_line,
    assert_touch_targets,
)

GOOD_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>好页面</title>
<style>
  body { margin: 0; font: 16px sans-serif; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .skip { position: absolute; left: -9999px; }
  .scroll { overflow-x: auto; }
</style></head>
<body><a class="skip" href="#main">跳到正文</a>
<main id="main"><h1>登录</h1><span class="sr-only">仅供读屏软件朗读的一段很长很长的说明文字</span>
<div class="scroll"><table><tr><td style="min-width: 2000px">宽表格在自己的滚动框里</td></tr>
</table></div></main></body></html>"""


@pytest.fixture
def blank_page(browser):
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    yield context.new_page()
    context.close()


def test_a_tidy_page_passes_every_check(blank_page):
    blank_page.set_content(GOOD_PAGE)
    assert_no_overflow(blank_page)
    assert_accessible(blank_page)
    assert_chinese_renders(blank_page, "h1")


def test_an_element_wider_than_the_tablet_is_caught(blank_page):
    blank_page.set_content(GOOD_PAGE.replace("</main>", '<p style="width:1200px">太宽</p></main>'))
    with pytest.raises(AssertionError, match=r"scrolls sideways(.|\n)*p \"太宽\" sticks out"):
        assert_no_overflow(blank_page)


def test_text_cut_off_by_its_box_is_caught(blank_page):
    clipped = (
        '<button style="width:60px; white-space:nowrap; overflow:hidden; '
        'text-overflow:ellipsis">提交处方到中心药房</button>'
    )
    blank_page.set_content(GOOD_PAGE.replace("</main>", clipped + "</main>"))
    with pytest.raises(AssertionError, match=r"提交处方到中心药房.*cut off with an ellipsis"):
        assert_no_overflow(blank_page)


def test_a_serious_accessibility_problem_is_caught_and_named(blank_page):
    unlabeled = '<input id="q"><img src="data:,">'
    blank_page.set_content(GOOD_PAGE.replace("</main>", unlabeled + "</main>"))
    with pytest.raises(AssertionError) as failure:
        assert_accessible(blank_page)
    assert "image-alt (critical)" in str(failure.value)
    assert "label (critical)" in str(failure.value)
    assert "#q" in str(failure.value)


def test_a_skipped_rule_needs_and_gets_a_reason(blank_page):
    blank_page.set_content(GOOD_PAGE.replace("</main>", '<img src="data:,"></main>'))
    assert_accessible(blank_page, skip_rules={"image-alt": "decorative test image"})


def test_chinese_drawn_as_tofu_is_caught(browser, tmp_path):
    """A Chromium that sees no CJK font draws every Chinese character as the same box."""
    latin_only = tmp_path / "fonts.conf"
    latin_only.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        "<dir>/usr/share/fonts/truetype/dejavu</dir>"
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(latin_only)}
    no_cjk = browser.browser_type.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS, env=env
    )
    try:
        page = no_cjk.new_page(viewport=VIEWPORT)
        page.set_content(GOOD_PAGE)
        with pytest.raises(AssertionError, match="tofu"):
            assert_chinese_renders(page, "h1")
    finally:
        no_cjk.close()


def test_the_live_servers_api_client_acts_as_the_chosen_user(live_server):
    me = live_server.api("specialist").get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == live_server.users["specialist"].username
    assert live_server.api("village_doctor").get("/api/v1/users").status_code == 403


def test_a_button_or_table_link_smaller_than_a_finger_is_caught(blank_page):
    blank_page.set_content(
        '<button style="min-height:44px;min-width:44px">好</button>'
        '<table><tr><td><a href="#" style="display:inline-block;min-height:44px">宽</a></td></tr>'
        '</table><p>正文里的<a href="#">链接</a>不算</p>'
    )
    with pytest.raises(AssertionError, match=r'a "宽": \d+×44'):
        assert_touch_targets(blank_page)
    blank_page.set_content('<button style="padding:0">小</button>')
    with pytest.raises(AssertionError, match="小"):
        assert_touch_targets(blank_page)


def test_a_blood_pressure_broken_over_two_lines_is_caught(blank_page):
    cell = '<table style="width:{}px"><tr><td class="num" style="{}">150/90</td></tr></table>'
    blank_page.set_content(cell.format(300, "white-space:nowrap"))
    assert_numbers_on_one_line(blank_page)
    blank_page.set_content(cell.format(10, "overflow-wrap:anywhere"))
    with pytest.raises(AssertionError, match="150/90"):
        assert_numbers_on_one_line(blank_page)
