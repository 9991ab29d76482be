"""The portal's looks that only a browser shows: the focus ring, tap targets on a 375-px phone, form
controls inside their cards, the column names of stacked tables. One page load per test.

Found by a review in Chromium (focus ring #f5b400 at 1.84:1 on white; report links and header links
24-26 px tall; form inputs 21-25 px; checkboxes 13 px; a cols=40 textarea sticking out of its card;
stacked tables without their column names on a phone).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e.conftest import DESKTOP, PHONE, BrowserThread, Viewport, World, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

#: Height of a control a finger can hit (WCAG 2.5.5 asks 44 px; 40 is what the review accepted).
TAP = 40

#: The focused element's outline and box shadow, and the contrast of the outline's colour with the
#: background around the element (its parent's, the first opaque one up the tree).
FOCUS_JS = r"""(selector) => {
  const e = document.querySelector(selector); e.focus();
  const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
     const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
     return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
     return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bgOf = e => { while (e) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.5) return c;
     e = e.parentElement; } return {r: 255, g: 255, b: 255, a: 1}; };
  const s = getComputedStyle(e); const x = lum(parse(s.outlineColor)), y = lum(bgOf(e.parentElement));
  return {focused: document.activeElement === e, outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
          shadow: s.boxShadow, ratio: (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05)};
}"""

SIZES_JS = """(selector) => [...document.querySelectorAll(selector)].map(e => {
  const r = e.getBoundingClientRect();
  return [e.id || e.name || e.innerText.trim(), Math.round(r.width), Math.round(r.height)]; })"""


def _page(browser: BrowserThread, context: Any, url: str, cookies: list[dict[str, str]] | None = None) -> Any:
    def open_page() -> Any:
        if cookies:
            context.add_cookies(cookies)
        page = context.new_page()
        page.goto(url)
        page.wait_for_load_state("load")
        return page

    return browser.run(open_page)


def _logged_in(world: World, base: str) -> list[dict[str, str]]:
    """The session cookie of the world's subject account, logged in without the login pages."""
    from pubcredit.access.models import User

    client = Client()
    client.force_login(User.objects.get(username=world.username))
    return [{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
             "url": base}]


def _sizes(browser: BrowserThread, page: Any, selector: str) -> list[list[Any]]:
    found: list[list[Any]] = browser.run(page.evaluate, SIZES_JS, selector)
    assert found, f"nothing matches {selector}"
    return found


@pytest.mark.parametrize("viewport", [pytest.param(DESKTOP, id="desktop")])
def test_focus_ring_shows_on_the_white_card_and_on_the_red_header(live_server: Any, browser: BrowserThread,
                                                                  browser_context: Any, viewport: Viewport) -> None:
    """WCAG 1.4.11: the focus indicator needs 3:1 against what is around it, on light and dark backgrounds."""
    page = _page(browser, browser_context, live_server.url + "/")
    for selector in ("#q", "form.search button", "header.site nav.main a", "#lang-select", "main a"):
        focus = browser.run(page.evaluate, FOCUS_JS, selector)
        assert focus["focused"], selector
        assert focus["ratio"] >= 3, f"{selector}: outline {focus['outline']} has {focus['ratio']:.2f}:1"
        assert focus["shadow"] != "none", f"{selector}: no halo around the ring"


@pytest.mark.parametrize("viewport", [pytest.param(PHONE, id="phone")])
def test_phone_report_links_and_header_are_big_enough_to_tap(live_server: Any, browser: BrowserThread,
                                                             browser_context: Any, viewport: Viewport) -> None:
    world = make_world()
    page = _page(browser, browser_context, f"{live_server.url}/subjects/{world.company_code}/report/")
    small = [s for sel in ("nav.rp-actions a", "header.site a", "#lang-select", "form.lang button")
             for s in _sizes(browser, page, sel) if s[2] < TAP]
    assert not small, f"shorter than {TAP} px: {small}"
    width = browser.run(page.evaluate, "document.scrollingElement.scrollWidth")
    assert width <= viewport.width + 1


@pytest.mark.parametrize("viewport", [pytest.param(PHONE, id="phone")])
def test_phone_declaration_form_fits_its_card_and_is_big_enough_to_tap(
        live_server: Any, browser: BrowserThread, browser_context: Any, viewport: Viewport) -> None:
    world = make_world()
    page = _page(browser, browser_context, f"{live_server.url}/my/declarations/",
                 _logged_in(world, live_server.url))
    card = "section[aria-labelledby=h-new]"
    controls = f"{card} input:not([type=hidden]), {card} select, {card} textarea"
    small = [s for s in _sizes(browser, page, controls) if s[2] < TAP]
    assert not small, f"shorter than {TAP} px: {small}"
    outside = browser.run(page.evaluate, """(card) => { const c = document.querySelector(card);
        const inner = c.getBoundingClientRect().right - parseFloat(getComputedStyle(c).paddingRight);
        return [...c.querySelectorAll('input, select, textarea')]
            .filter(e => e.getBoundingClientRect().right > inner + 1)
            .map(e => [e.id, e.getBoundingClientRect().right, inner]); }""", card)
    assert not outside, f"controls sticking out of the card: {outside}"


@pytest.mark.parametrize("viewport", [pytest.param(PHONE, id="phone")])
def test_phone_special_report_form_has_tappable_dates_and_checkboxes(
        live_server: Any, browser: BrowserThread, browser_context: Any, viewport: Viewport) -> None:
    world = make_world()
    page = _page(browser, browser_context, f"{live_server.url}/subjects/{world.company_code}/special-report/")
    small = [s for s in _sizes(browser, page, "form.rp-form input[type=date], .rp-classes label") if s[2] < TAP]
    assert not small, f"shorter than {TAP} px: {small}"
    boxes = _sizes(browser, page, "form.rp-form input[type=checkbox]")
    assert all(w >= 20 and h >= 20 for _name, w, h in boxes), [b for b in boxes if min(b[1:]) < 20]


@pytest.mark.parametrize("viewport", [pytest.param(PHONE, id="phone")])
def test_phone_stacked_table_cells_name_their_column(live_server: Any, browser: BrowserThread, browser_context: Any,
                                                     viewport: Viewport) -> None:
    """A ``table.list.stack`` hides its header row on a phone: each cell shows its column's name before it."""
    from pubcredit.catalog.services import load_initial_catalog

    load_initial_catalog(actor="test:e2e")
    page = _page(browser, browser_context, f"{live_server.url}/catalog/")
    shown = browser.run(page.evaluate, """() => {
        const t = document.querySelector('table.list.stack');
        const heads = [...t.querySelectorAll('thead th')].map(th => th.innerText.trim());
        const cells = [...t.querySelectorAll('tbody tr:first-child td')];
        return {thead: getComputedStyle(t.querySelector('thead')).display, heads: heads,
                before: cells.map(td => getComputedStyle(td, '::before').content)}; }""")
    assert shown["thead"] == "none"
    assert shown["before"] == [f'"{h}："' for h in shown["heads"]], shown
