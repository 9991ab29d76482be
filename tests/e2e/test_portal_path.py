"""The portal path in a real browser (issue 5 item 6), on a desktop and a phone-sized viewport.

The public: home → search by name → results → subject → report → PDF, seeing only public
records; then the report's verification code on /verify/. The subject itself: login → 我的信用
(every level, the internal record too) → report → PDF. Each step leaves a full-page screenshot
in test-artifacts/e2e/<viewport>-<step>.png; on the phone no page may scroll sideways.

The browsing runs in the browser thread (``browser.run``, see conftest.py); the data and the
checks on the downloaded PDFs run here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import VIEWPORTS, BrowserThread, Viewport, World, make_world
from tests.reports.read_paths import pdf_text

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BRAND_RED = "rgb(179, 38, 30)"  # --brand of portal/site.css: the header shows it only if the CSS loaded
CODE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}")


@dataclass
class Visit:
    """One test's tab, and what it saw."""

    page: Any
    base: str
    viewport: Viewport
    artifacts: Path
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        def on_console(msg: Any) -> None:
            if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
                self.problems.append(f"console: {msg.text} ({msg.location.get('url')})")

        def on_response(res: Any) -> None:
            if res.status >= 400 and not res.url.endswith("/favicon.ico"):
                self.problems.append(f"HTTP {res.status}: {res.url}")

        self.page.on("console", on_console)
        self.page.on("response", on_response)

    def step(self, name: str) -> None:
        """Checks every page gets (style sheets applied; on the phone, no sideways scrolling), and a screenshot."""
        page = self.page
        page.wait_for_load_state("load")
        header_bg = page.evaluate("getComputedStyle(document.querySelector('header.site')).backgroundColor")
        assert header_bg == BRAND_RED, f"{name}: portal/site.css not applied (header background {header_bg})"
        empty = page.evaluate("[...document.styleSheets].filter(s => !s.cssRules.length).map(s => s.href)")
        assert not empty, f"{name}: style sheets not loaded: {empty}"
        if self.viewport.mobile:
            # Phone emulation widens innerWidth to an overflowing page's width: compare with the viewport too.
            scroll_width, inner_width = page.evaluate(
                "[document.scrollingElement.scrollWidth, window.innerWidth]")
            assert scroll_width <= min(inner_width, self.viewport.width) + 1, (
                f"{name}: the page scrolls sideways on a {self.viewport.width}px phone "
                f"(scrollWidth {scroll_width}, innerWidth {inner_width}); too wide: {self._too_wide()}")
        page.screenshot(path=str(self.artifacts / f"{self.viewport.name}-{name}.png"), full_page=True)
        assert not self.problems, f"{name}: {self.problems}"

    def _too_wide(self) -> list[str]:
        return self.page.evaluate("""(w) => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > w + 1)
            .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""",
                                  self.viewport.width)

    def text(self) -> str:
        return str(self.page.inner_text("main"))

    def download_pdf(self) -> bytes:
        """Click the report page's PDF link; the downloaded file's bytes."""
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name="下载 PDF 报告").click()
        download = info.value
        assert download.failure() is None
        code = self.page.locator(".rp-meta .rp-code").inner_text().strip()
        assert download.suggested_filename.endswith(f"-{code}.pdf"), download.suggested_filename
        return Path(download.path()).read_bytes()


def _visit(context: Any, base: str, viewport: Viewport, artifacts: Path) -> Visit:
    return Visit(context.new_page(), base, viewport, artifacts)


def _assert_pdf(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    assert len(data) > 10_000
    return pdf_text(data)


def _public_only(text: str, world: World) -> None:
    for shown in (world.public_entry, world.public_marker):
        assert shown in text
    for hidden in (world.internal_entry, world.internal_marker):
        assert hidden not in text, f"the internal record shows to the public: {hidden}"


def _everything(text: str, world: World) -> None:
    for shown in (world.public_entry, world.public_marker, world.internal_entry, world.internal_marker):
        assert shown in text


# --- the public -------------------------------------------------------------------------------

def _public_path(visit: Visit, world: World) -> tuple[str, bytes]:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{visit.base}/")
    expect(page.get_by_role("heading", name="信用查询")).to_be_visible()
    visit.step("public-1-home")

    page.get_by_role("searchbox", name="名称或代码").fill(world.company_name)
    page.get_by_role("button", name="查询", exact=True).click()
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.get_by_text("找到 1 个信用主体")).to_be_visible()
    results = page.locator("ul.results")
    expect(results.get_by_role("link", name=world.company_name)).to_be_visible()
    visit.step("public-2-results")

    results.get_by_role("link", name=world.company_name).click()
    page.wait_for_url(f"**/subjects/{world.company_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(world.company_name)
    _public_only(visit.text(), world)
    visit.step("public-3-subject")

    page.get_by_role("link", name="下载信用报告").click()
    page.wait_for_url(f"**/subjects/{world.company_code}/report/")
    expect(page.locator(".rp-title")).to_have_text("公共信用信息报告")
    _public_only(visit.text(), world)
    expect(page.locator(".rp-meta")).to_contain_text("社会公众")
    code = page.locator(".rp-meta .rp-code").inner_text().strip()
    assert CODE.fullmatch(code), code
    digest = page.locator(".rp-verify dt:has-text('内容摘要') + dd").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", digest), digest
    visit.step("public-4-report")

    pdf = visit.download_pdf()

    page.get_by_role("navigation", name="报告操作").get_by_role("link", name="报告验证").click()
    page.wait_for_url("**/verify/")
    visit.step("public-5-verify-form")
    page.get_by_label("报告验证码").fill(code)
    page.get_by_role("button", name="验证", exact=True).click()
    page.wait_for_url(re.compile(r"/verify/\?code="))
    result = page.locator("section[aria-labelledby=h-result]")
    expect(result.get_by_role("heading")).to_have_text("✔ 该报告由本平台出具")
    expect(result).to_contain_text(code)
    expect(result).to_contain_text(world.company_name)
    expect(result).to_contain_text("公共信用信息报告")
    expect(result.locator("dt:has-text('内容摘要') + dd")).to_have_text(digest)  # the same report
    visit.step("public-6-verified")
    return code, pdf


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_public_search_subject_report_pdf_and_verify(live_server: Any, browser: BrowserThread, browser_context: Any,
                                                    viewport: Viewport, artifacts: Path) -> None:
    world = make_world()
    visit = browser.run(_visit, browser_context, live_server.url, viewport, artifacts)
    code, pdf = browser.run(_public_path, visit, world)
    text = _assert_pdf(pdf)
    assert world.company_name in text
    assert code in text
    assert world.internal_entry not in text


# --- the subject, logged in -------------------------------------------------------------------

def _subject_path(visit: Visit, world: World) -> bytes:
    from playwright.sync_api import expect

    page = visit.page
    page.goto(f"{visit.base}/accounts/login/")
    visit.step("subject-1-login")
    page.get_by_label("用户名", exact=True).fill(world.username)
    page.get_by_label("密码", exact=True).fill(world.password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.wait_for_url(f"{visit.base}/")  # a subject account needs no one-time code

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="我的信用").click()
    page.wait_for_url("**/my/")
    expect(page.get_by_role("heading", level=1)).to_have_text(world.company_name)
    _everything(visit.text(), world)
    visit.step("subject-2-my-credit")

    page.get_by_role("link", name="下载信用报告").click()
    page.wait_for_url(f"**/subjects/{world.company_code}/report/")
    _everything(visit.text(), world)
    expect(page.locator(".rp-meta")).to_contain_text("信用主体本人")
    visit.step("subject-3-report")
    return visit.download_pdf()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_subject_logs_in_and_sees_everything_about_itself(live_server: Any, browser: BrowserThread,
                                                          browser_context: Any, viewport: Viewport,
                                                          artifacts: Path) -> None:
    world = make_world()
    visit = browser.run(_visit, browser_context, live_server.url, viewport, artifacts)
    text = _assert_pdf(browser.run(_subject_path, visit, world))
    assert world.company_name in text
    assert world.internal_entry in text
