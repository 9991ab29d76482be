"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

* One browser per test session (per xdist worker), one fresh context per test. Nothing is ever
  downloaded: Playwright starts ``/usr/bin/chromium`` (Debian package ``chromium``, installed by
  ``scripts/system-deps --browser``) with the flags of docs' environment notes; each launch gets
  a new temporary profile (user data dir) from Playwright, removed when the browser closes.
* Playwright's sync API marks an asyncio loop as running in the thread that uses it, and Django
  then refuses ORM calls there (``SynchronousOnlyOperation``) — including the flush after each
  transactional test. So the browser lives in a thread of its own: the test makes its data with
  the ORM in the main thread and hands the browsing to ``browser.run(fn)``, which calls ``fn``
  in the browser thread and returns its result or raises its error.
* The live server commits for real: tests use ``django_db(transaction=True)`` and make their
  data inside the test. Emptying the tables afterwards TRUNCATEs the audit log too, which its
  trigger allows in ``test_*`` databases only (docs/audit.md).
* Static files (CSS) come from the app folders through the live server's static handler; the
  tests check a computed style to be sure the style sheets really apply.

Without ``/usr/bin/chromium`` the tests are skipped, except under CI (env ``CI`` set), where
they fail: CI must run them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.utils import timezone

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
#: Playwright's timeout for each action and navigation (a PDF render on two cores takes a few seconds).
TIMEOUT_MS = 30_000

T = TypeVar("T")


@dataclass(frozen=True)
class Viewport:
    name: str
    width: int
    height: int
    scale: float = 1
    mobile: bool = False

    def context_options(self) -> dict[str, Any]:
        return {"viewport": {"width": self.width, "height": self.height}, "device_scale_factor": self.scale,
                "is_mobile": self.mobile, "has_touch": self.mobile, "locale": "zh-CN",
                "timezone_id": "Asia/Shanghai", "accept_downloads": True}


DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 375, 740, scale=2, mobile=True)
VIEWPORTS = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")]


class BrowserThread:
    """Chromium, and the one thread that may talk to it."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="e2e-browser")
        self._state: dict[str, Any] = {}

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        self._state["playwright"] = playwright
        self._state["browser"] = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)

    def _stop(self) -> None:
        if "browser" in self._state:
            self._state.pop("browser").close()
        if "playwright" in self._state:
            self._state.pop("playwright").stop()

    def start(self) -> None:
        try:
            self._executor.submit(self._start).result()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        try:
            self._executor.submit(self._stop).result()
        finally:
            self._executor.shutdown(wait=True)

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the browser thread; its result, or its exception raised here."""
        assert not threading.current_thread().name.startswith("e2e-browser"), "already in the browser thread"
        return self._executor.submit(fn, *args).result()

    def new_context(self, viewport: Viewport) -> Any:
        def make() -> Any:
            context = self._state["browser"].new_context(**viewport.context_options())
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            return context

        return self.run(make)


@pytest.fixture(scope="session")
def browser() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} not found: install the Debian package chromium (scripts/system-deps --browser)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {reason}")
        pytest.skip(reason)
    thread = BrowserThread()
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
def browser_context(browser: BrowserThread, viewport: Viewport) -> Iterator[Any]:
    """A fresh context (cookies, storage) for one test, in the test's viewport."""
    context = browser.new_context(viewport)
    yield context
    browser.run(context.close)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


# --- data: the shipped catalog, a company with public and internal records, its account --------

PASSWORD = "Hangzhou-Credit-2026!"


@dataclass(frozen=True)
class World:
    company_name: str
    company_code: str
    public_entry: str  # the public adverse record's entry name
    public_marker: str  # a value only the public record holds
    internal_entry: str  # the internal record's entry name
    internal_marker: str  # a value only the internal record holds
    username: str
    password: str


def make_world() -> World:
    """Load the shipped catalog; register a company with a registration record, a public penalty and
    an internal unpaid-fine record; bind a subject account to it. Committed (transactional test)."""
    from pubcredit.access import accounts
    from pubcredit.catalog.models import CatalogVersion, VersionState
    from pubcredit.catalog.services import load_initial_catalog
    from tests.factories import collection as rf
    from tests.factories import subjects as f

    load_initial_catalog(actor="test:e2e")

    def published(code: str) -> CatalogVersion:
        return CatalogVersion.objects.select_related("entry").get(entry__code=code, state=VersionState.PUBLISHED)

    registration, penalty, unpaid = published("org-registration"), published("penalty-scjg"), published("unpaid-fines")
    assert (penalty.open_level, unpaid.open_level) == ("public", "internal")

    name = "杭州云栖数智示范科技有限公司"
    company = f.org(name=name)
    code = company.uscc or ""
    today = timezone.localdate()
    decided = today - timedelta(days=90)
    penalty_no = "杭市监罚处〔2025〕E2E-0001号"
    unpaid_no = "杭财罚催〔2025〕内部-7788号"
    rf.record(company, registration, decision=date(2016, 4, 18), data={
        "uscc": code, "name": name, "org_type": "有限责任公司（自然人投资或控股）", "legal_rep": "周明远",
        "registered_capital": "1000", "capital_currency": "人民币", "established_on": "2016-04-18",
        "address": "浙江省杭州市西湖区转塘街道云栖小镇云栖大会展馆东侧科技园区 3 号楼 12 层 1201 室",
        "business_scope": ("一般项目：技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；软件开发；"
                           "信息系统集成服务；数据处理和存储支持服务；人工智能应用软件开发；"
                           "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）。"),
        "status": "存续（在营、开业、在册）", "registration_authority": "杭州市西湖区市场监督管理局",
    })
    rf.record(company, penalty, decision=decided, data={
        "CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code, "CF_FRDB": "周明远",
        "CF_WSH": penalty_no, "CF_WFXW": "违反《中华人民共和国广告法》第二十八条第二款第（二）项",
        "CF_SY": "当事人在其微信公众号发布的产品推广文章中使用未经证实的性能数据，构成发布虚假广告的违法行为。",
        "CF_YJ": "《中华人民共和国广告法》第五十五条第一款", "CF_CFLB": "02", "CF_AJCXLB": "02",
        "CF_NR": "责令停止发布违法广告，并处罚款人民币叁万元整。", "CF_NR_FK": "3",
        "CF_JDRQ": decided.isoformat(), "CF_YXQ": (decided + timedelta(days=365 * 3)).isoformat(),
        "CF_CFJG": "杭州市西湖区市场监督管理局", "CF_CFJGDM": f.uscc(department="1", org_type="1"),
        "CF_SJLY": "杭州市市场监督管理局", "CF_SJLYDM": f.uscc(department="1", org_type="1"),
    })
    rf.record(company, unpaid, decision=decided + timedelta(days=40), data={
        "party_name": name, "party_kind": "法人及非法人组织", "party_uscc": code,
        "penalty_decision_no": unpaid_no, "penalty_authority": "杭州市西湖区市场监督管理局",
        "fine_amount": "3", "due_on": (decided + timedelta(days=15)).isoformat(),
        "reminded_on": (decided + timedelta(days=25)).isoformat(),
        "confirmed_on": (decided + timedelta(days=40)).isoformat(),
    })
    username = "e2e-yunqi"
    accounts.create_account(username=username, role="subject", password=PASSWORD, actor="test:e2e",
                            subject_code=code)
    return World(company_name=name, company_code=code, public_entry=penalty.entry.name, public_marker=penalty_no,
                 internal_entry=unpaid.entry.name, internal_marker=unpaid_no, username=username,
                 password=PASSWORD)
