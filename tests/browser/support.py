"""Checks a browser test runs on a page: screenshots, layout at 1024×768, axe-core, CJK glyphs.

Plain functions on a Playwright ``Page`` (sync API), so a page test reads as what a user would
notice: ``screenshot(page, "visit")``, ``assert_no_overflow(page)``, ``assert_accessible(page)``.
The fixtures that give logged-in pages are in ``conftest.py``; ``docs/browser-tests.md`` explains.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import ROOT

HERE = Path(__file__).resolve().parent
AXE_SCRIPT = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = Path(os.environ.get("GPASSIST_TEST_CHROMIUM", "/usr/bin/chromium"))
# From ../shared/TOOLCHAIN.md: Debian's Chromium, headless, in a container without a GPU and
# without the sandbox's user namespaces, and nothing fetched from the internet on its own.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1024, "height": 768}  # the county's cheap tablets and old PCs
BLOCKING_IMPACTS = ("serious", "critical")

# Auto-waiting assertions instead of sleeps; generous, because 2 cores are shared by many.
expect.set_options(timeout=10_000)


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    display_name: str
    role: str
    clinic: str | None = None  # a village doctor's clinic code
    department: str | None = None  # a specialist's FACILITY/DEPARTMENT, e.g. CH/cardiology


def log_in(page: Page, login: Login) -> None:
    """Log in through the form like a user, and wait for the role's start page."""
    page.goto("/login")
    page.locator("#username").fill(login.username)
    page.locator("#password").fill(login.password)
    page.locator("#password").press("Enter")
    expect(page).to_have_url(START_PAGE)


# Where a login lands: /app, which sends each role on to its own start page (/app/today, …).
START_PAGE = re.compile(r"/app(/[^?#]*)?([?#].*)?$")


_PAGE_ERRORS: dict[int, list[str]] = {}


def page_errors(page: Page) -> list[str]:
    """Uncaught JavaScript errors in the page so far (a flow should end with none)."""
    return _PAGE_ERRORS.setdefault(id(page), [])


def forget_page_errors(page: Page) -> None:
    _PAGE_ERRORS.pop(id(page), None)


def artifacts_dir() -> Path:
    """Where screenshots go: ``$GPASSIST_ARTIFACTS`` or ``test-artifacts`` (gitignored)."""
    return Path(os.environ.get("GPASSIST_ARTIFACTS") or ROOT / "test-artifacts")


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save the page as ``<artifacts>/screenshots/<name>.png`` and return the path.

    The default is what the 1024×768 screen shows; ``full_page=True`` adds what scrolls below.
    """
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        raise ValueError(f"screenshot name {name!r}: use letters, digits, '-', '_' or '.'")
    path = artifacts_dir() / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path


# --- layout ------------------------------------------------------------------------------------

# Elements may opt out with data-overflow-ok="<why>" (on themselves or an ancestor), e.g. a wide
# chart inside a scroll box that is meant to scroll. Visually hidden text for screen readers
# (1×1 px, clipped) and content pushed off-screen to the left (skip links) are not layout.
_OVERFLOW_CHECK = """
() => {
  const width = document.documentElement.clientWidth;
  const problems = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    return text ? `${s} "${text}"` : s;
  };
  const visuallyHidden = (el) => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const st = getComputedStyle(a);
      const r = a.getBoundingClientRect();
      if (st.clip !== 'auto' || st.clipPath === 'inset(50%)') return true;
      if (r.width <= 1 && r.height <= 1 && st.overflow !== 'visible') return true;
    }
    return false;
  };
  const clipsX = (st) => st.overflowX !== 'visible';
  const insideBox = (el) => {  // a scroll or clipping box between el and <body> contains it
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (clipsX(getComputedStyle(a))) return true;
    }
    return false;
  };
  const scroller = document.scrollingElement || document.documentElement;
  if (scroller.scrollWidth > width + 1) {
    problems.push(`the page scrolls sideways: ${scroller.scrollWidth}px of content ` +
                  `in a ${width}px wide window`);
  }
  const replaced = new Set(['INPUT', 'TEXTAREA', 'SELECT', 'IMG', 'SVG', 'CANVAS', 'VIDEO',
                            'IFRAME', 'OPTION', 'svg']);
  for (const el of document.body.querySelectorAll('*')) {
    if (el.getClientRects().length === 0) continue;  // not rendered (display: none somewhere)
    if (el.closest('[data-overflow-ok]')) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue;
    if (r.right <= 0) continue;  // parked off-screen on purpose (e.g. a skip link)
    if ((r.right > width + 1 || r.left < -1) && !insideBox(el) && !visuallyHidden(el)) {
      problems.push(`${describe(el)} sticks out of the ${width}px window ` +
                    `(left ${Math.round(r.left)}, right ${Math.round(r.right)})`);
    }
    if (replaced.has(el.tagName)) continue;
    const text = (el.innerText || '').trim();
    if (!text) continue;
    const hidesX = st.overflowX === 'hidden' || st.overflowX === 'clip';
    const hidesY = st.overflowY === 'hidden' || st.overflowY === 'clip';
    const cutX = hidesX && el.scrollWidth > el.clientWidth + 1;
    const cutY = hidesY && el.scrollHeight > el.clientHeight + 1;
    if ((cutX || cutY) && !visuallyHidden(el)) {
      const size = cutX ? `${el.scrollWidth}px of text in ${el.clientWidth}px`
                        : `${el.scrollHeight}px of text in ${el.clientHeight}px`;
      const how = st.textOverflow === 'ellipsis' ? 'cut off with an ellipsis' : 'cut off';
      problems.push(`${describe(el)}: text ${how} (${size})`);
    }
  }
  return problems;
}
"""


def assert_no_overflow(page: Page) -> None:
    """Nothing is wider than the window, nothing scrolls sideways, no text is clipped.

    Checks every rendered element: the page must not scroll horizontally; no element may stick
    out of the window (unless a scroll box contains it); and no element that hides its
    overflow (``overflow: hidden``/``clip``, ``text-overflow: ellipsis``) may be hiding text.
    """
    problems = page.evaluate(_OVERFLOW_CHECK)
    assert not problems, f"layout problems on {page.url} at {_size(page)}:\n" + "\n".join(
        f"- {p}" for p in problems
    )


def _size(page: Page) -> str:
    size = page.viewport_size or {}
    return f"{size.get('width')}×{size.get('height')}"


# --- accessibility -----------------------------------------------------------------------------


def assert_accessible(page: Page, *, skip_rules: dict[str, str] | None = None) -> list[dict]:
    """Run axe-core in the page; fail on any serious or critical violation, listing each.

    ``skip_rules`` maps an axe rule id to the reason it does not apply to this page (the reason
    is required so a skip is reviewed, not forgotten). Returns the remaining minor and moderate
    violations, for a test that wants to look at them.
    """
    _inject_axe(page)
    options: dict = {"resultTypes": ["violations"]}
    if skip_rules:
        options["rules"] = {rule: {"enabled": False} for rule in skip_rules}
    results = page.evaluate("options => axe.run(document, options)", options)
    violations = results["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, (
        f"{len(blocking)} serious or critical accessibility problems (axe-core) on {page.url}:\n"
        + "\n".join(_describe_violation(v) for v in blocking)
    )
    return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]


def _inject_axe(page: Page) -> None:
    if page.evaluate("typeof window.axe !== 'undefined'"):
        return
    # Evaluated through the DevTools protocol rather than as a <script> tag, so a page's
    # Content-Security-Policy (which rightly forbids inline scripts) does not block the check.
    page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")


def _describe_violation(violation: dict) -> str:
    lines = [
        f"- {violation['id']} ({violation['impact']}): {violation['help']} — {violation['helpUrl']}"
    ]
    for node in violation["nodes"][:5]:
        target = " ".join(str(t) for t in node["target"])
        summary = " ".join(node.get("failureSummary", "").split())
        lines.append(f"    {target}: {summary}")
    if len(violation["nodes"]) > 5:
        lines.append(f"    … and {len(violation['nodes']) - 5} more elements")
    return "\n".join(lines)


# --- Chinese text ------------------------------------------------------------------------------

# Tofu: with no CJK font every Chinese character is drawn as the same empty box. So draw each
# distinct character of the element's text with the element's own font, and require the
# pictures to differ from each other and from a blank canvas.
_GLYPH_PICTURES = """
(el) => {
  const chars = [...new Set((el.innerText.match(/\\p{Script=Han}/gu) || []))].slice(0, 4);
  const st = getComputedStyle(el);
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 64;
  const ctx = canvas.getContext('2d');
  const blank = canvas.toDataURL();
  const pictures = chars.map((ch) => {
    ctx.clearRect(0, 0, 64, 64);
    ctx.font = `${st.fontStyle} ${st.fontWeight} 48px ${st.fontFamily}`;
    ctx.textBaseline = 'top';
    ctx.fillText(ch, 4, 4);
    return canvas.toDataURL();
  });
  return {chars, blank, pictures};
}
"""


def assert_chinese_renders(page: Page, selector: str) -> None:
    """The Chinese text of ``selector`` is drawn as real glyphs, not as tofu boxes."""
    drawn = page.locator(selector).first.evaluate(_GLYPH_PICTURES)
    chars, pictures = drawn["chars"], drawn["pictures"]
    assert len(chars) >= 2, f"{selector} has fewer than two distinct Chinese characters: {chars}"
    assert drawn["blank"] not in pictures, f"{chars} draw nothing: no font has these glyphs"
    assert len(set(pictures)) == len(chars), (
        f"{''.join(chars)} are drawn as identical boxes (tofu): no CJK font is installed "
        "(apt-get install fonts-wqy-microhei)"
    )


# --- counting what the user does -----------------------------------------------------------------


@dataclass
class InputCounter:
    """Counts a user's clicks and keystrokes, so a test can hold a workflow to a budget.

    Drive the page through it: ``user.click(locator)``, ``user.fill(locator, "158")`` (a fill of
    N characters is N keystrokes), ``user.press(locator, "Tab")`` (one keystroke),
    ``user.check(locator)`` (a click), ``user.select(locator, value)`` (two clicks: open, choose).
    ``user.steps`` lists what was done, for the report; ``str(user)`` sums it up.
    """

    clicks: int = 0
    keystrokes: int = 0
    steps: list[str] | None = None

    def __post_init__(self) -> None:
        self.steps = []

    def _note(self, what: str) -> None:
        assert self.steps is not None
        self.steps.append(what)

    def click(self, locator, **options) -> None:
        self.clicks += 1
        self._note(f"click {locator}")
        locator.click(**options)

    def check(self, locator) -> None:
        self.clicks += 1
        self._note(f"check {locator}")
        locator.check()

    def select(self, locator, value: str) -> None:
        self.clicks += 2
        self._note(f"select {value!r} in {locator}")
        locator.select_option(value)

    def fill(self, locator, text: str) -> None:
        self.keystrokes += len(text)
        self._note(f"type {text!r} into {locator}")
        locator.fill(text)

    def press(self, locator, key: str) -> None:
        self.keystrokes += 1
        self._note(f"press {key} in {locator}")
        locator.press(key)

    def __str__(self) -> str:
        return f"{self.clicks} clicks, {self.keystrokes} keystrokes"


# --- touch targets and one-line numbers --------------------------------------------------------

TOUCH_TARGET_PX = 44  # WCAG 2.5.5 (AAA) and the issue-14 layout rule, on every page

# What a finger presses: buttons, link-buttons, fields, links in tables, tabs, chips. A link in
# running text is exempt (WCAG's inline exception); an element can opt out with
# data-small-target-ok="<why>".
_TOUCH_TARGETS = """
(minimum) => {
  const selector = 'button, a.button, select, input:not([type=hidden]):not([type=checkbox])' +
    ':not([type=radio]), td a, .tabs a, .topbar a, .chips button';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.getClientRects().length === 0 || el.closest('[data-small-target-ok]')) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.right <= 0 || (r.width <= 1 && r.height <= 1)) continue;  // off-screen or visually hidden
    if (r.width < minimum - 0.5 || r.height < minimum - 0.5) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.id || '')
        .replace(/\\s+/g, ' ').trim().slice(0, 30);
      const size = `${Math.round(r.width)}×${Math.round(r.height)}`;
      small.push(`${el.tagName.toLowerCase()} "${name}": ${size}`);
    }
  }
  return small;
}
"""


def assert_touch_targets(page: Page, minimum: int = TOUCH_TARGET_PX) -> None:
    """Every button, field, table link, tab and chip is at least ``minimum`` px each way."""
    small = page.evaluate(_TOUCH_TARGETS, minimum)
    assert not small, f"touch targets under {minimum}×{minimum} px on {page.url}:\n" + "\n".join(
        f"- {s}" for s in small
    )


# Cells holding a number, date or amount (class "num", set by ui.table) must be one line: a
# blood pressure shown as "150/9" over "0" is misread.
_WRAPPED_NUMBERS = """
() => {
  const wrapped = [];
  for (const el of document.querySelectorAll('.num')) {
    if (el.getClientRects().length === 0 || !el.textContent.trim()) continue;
    const range = document.createRange();
    range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0)
      .map((r) => Math.round(r.bottom)));
    if (lines.size > 1) wrapped.push(el.textContent.trim());
  }
  return wrapped;
}
"""


def assert_numbers_on_one_line(page: Page) -> None:
    """No reading, date or amount (``.num``) is broken over two lines."""
    wrapped = page.evaluate(_WRAPPED_NUMBERS)
    assert not wrapped, f"numbers wrapped over lines on {page.url}: {wrapped}"
