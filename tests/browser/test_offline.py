"""Village clinics lose the link: a page the doctor opened comes back on a reload while offline
(the service worker's copy, saying it is offline, with what was typed), a page never opened
shows the offline page rather than the browser's error, and no page is kept past a logout or
for the next user. Saving still ends in exactly one visit once the link returns."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.support import (
    assert_accessible,
    assert_no_overflow,
    log_in,
    page_errors,
    screenshot,
)
from tests.browser.test_visit_integrity import new_patient, open_visit, visits

COMPLAINT = "发热两天，咳嗽有痰"
TCM_SYMPTOMS = "恶寒发热，咽痛，痰黄稠，舌红苔黄"
KEPT_AT = re.compile(r"保存于 \d{4}-\d\d-\d\d \d\d:\d\d")

# The URLs in the worker's page caches (all versions).
KEPT_PAGES = """async () => {
  const urls = [];
  for (const name of await caches.keys()) {
    if (!name.startsWith('gpassist-pages-')) continue;
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}"""


def wait_for_worker(page: Page) -> None:
    """The service worker is active and controls this page (so a reload goes through it)."""
    page.wait_for_function(
        "async () => { const r = await navigator.serviceWorker.ready; "
        "return r.active.state === 'activated' && !!navigator.serviceWorker.controller; }"
    )


def wait_until_kept(page: Page) -> None:
    """This page is in the worker's page cache."""
    wait_for_worker(page)
    page.wait_for_function(
        f"async () => ({KEPT_PAGES})().then(urls => urls.includes(location.href.split('#')[0]))"
    )


def kept_pages(page: Page) -> list[str]:
    return page.evaluate(KEPT_PAGES)


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    return errors


def test_a_visit_reloaded_offline_comes_back_with_what_was_typed(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    errors = console_errors(page)
    open_visit(page, patient)
    wait_until_kept(page)
    assert errors == []  # registering and keeping cost the page no console error
    name = page.locator("#patient h1").inner_text()
    page.get_by_label("主诉").fill(COMPLAINT)
    page.locator("#t-symptoms").fill(TCM_SYMPTOMS)

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#patient h1")).to_have_text(name)
    expect(page.locator("#problem")).to_contain_text("离线：这是本机保存的页面")
    expect(page.locator("#problem")).to_contain_text(KEPT_AT)
    expect(page.locator("#problem")).to_be_visible()
    expect(page.get_by_label("主诉")).to_have_value(COMPLAINT)
    expect(page.locator("#t-symptoms")).to_have_value(TCM_SYMPTOMS)
    expect(page.locator("#encounter-status")).to_have_text("已恢复上次未保存的内容。")
    screenshot(page, "offline-visit-reloaded")
    assert_no_overflow(page)

    page.context.set_offline(False)
    expect(page.locator("#notice")).to_contain_text("已联网")
    expect(page.locator("#problem")).to_be_hidden()
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    saved = visits(live_server, patient)
    assert [v["chief_complaint"] for v in saved] == [COMPLAINT]
    expect(page.locator("#t-symptoms")).to_have_value(TCM_SYMPTOMS)
    assert page_errors(page) == []


def test_a_saved_visit_edited_and_saved_offline_stays_one_visit(page_as, live_server):
    """The offline copy does not know today's visit until the link returns: it looks before
    recording, so the waiting save edits the visit rather than adding a second."""
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    wait_until_kept(page)
    page.get_by_label("主诉").fill("头晕一周")
    page.locator("#e-sbp").fill("162")
    page.locator("#e-dbp").fill("98")
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_have_text("已保存")

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#problem")).to_contain_text("离线")
    # the saved visit as this browser last saw it
    expect(page.get_by_label("主诉")).to_have_value("头晕一周")
    expect(page.locator("#e-sbp")).to_have_value("162")
    expect(page.locator("#encounter-status")).to_contain_text("已恢复今天未结算的就诊。")
    page.get_by_label("主诉").fill("头晕一周，今晨加重")
    page.locator("#e-sbp").fill("170")
    page.get_by_role("button", name="保存就诊").click()
    expect(page.locator("#encounter-status")).to_contain_text("未联网")
    page.reload()  # still offline: what was typed and the waiting save survive a reload too
    expect(page.get_by_label("主诉")).to_have_value("头晕一周，今晨加重")
    expect(page.locator("#encounter-status")).to_contain_text("未联网")
    assert len(visits(live_server, patient)) == 1

    page.context.set_offline(False)  # the waiting save goes: it finds the visit and edits it
    expect(page.locator("#encounter-status")).to_have_text("已保存")
    saved = visits(live_server, patient)
    assert len(saved) == 1
    assert saved[0]["chief_complaint"] == "头晕一周，今晨加重"
    assert saved[0]["vitals"]["sbp"] == 170 and saved[0]["vitals"]["dbp"] == 98


def test_a_page_never_opened_shows_the_offline_page(new_page, live_server):
    page = new_page()
    errors = console_errors(page)
    log_in(page, live_server.users["village_doctor"])  # the worker is registered on the way
    # the start page loaded before the worker took control, and asked to be kept all the same
    wait_until_kept(page)
    assert errors == []
    page.context.set_offline(True)
    page.goto("/app/patients")  # never opened
    expect(page.get_by_role("heading", name="离线：网络恢复后再试")).to_be_visible()
    expect(page.get_by_text("Offline: try again when the network is back")).to_be_visible()
    screenshot(page, "offline-page")
    assert_no_overflow(page)
    assert_accessible(page)
    page.goto("/app/today")  # opened: its copy
    expect(page.get_by_role("heading", name="今日工作")).to_be_visible()
    expect(page.locator("#problem")).to_contain_text("离线")


def test_logging_out_forgets_the_kept_pages(page_as, live_server):
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    wait_until_kept(page)
    assert any(url.endswith(f"/app/patients/{patient}") for url in kept_pages(page))
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login"))
    assert kept_pages(page) == []
    # the static files and the offline page stay: they hold nobody's data
    assert any(n.startswith("gpassist-assets-") for n in page.evaluate("caches.keys()"))


def test_the_next_user_logging_in_finds_no_page_of_the_last(page_as, live_server):
    """A session that ended without a logout (it expired; the browser was closed): the next
    login forgets what the last user opened."""
    patient = new_patient(live_server)
    page = page_as("village_doctor")
    open_visit(page, patient)
    wait_until_kept(page)
    # the tab is closed and the session gone; the next user opens the browser (same profile:
    # the same worker and caches). A tab left open on the dead session could still be calling
    # the server while the next user logs in, which is not this test's case.
    context = page.context
    page.close()
    context.clear_cookies()
    page = context.new_page()
    log_in(page, live_server.users["other_village_doctor"])
    assert not any(f"/app/patients/{patient}" in url for url in kept_pages(page))
