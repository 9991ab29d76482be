"""The portal's forms and error pages as assistive technology and browsers read them (server side).

Found by a review in Chromium: a failed CSRF check showed Django's English page; form errors were not
named by the fields' ``aria-describedby``; the date inputs got ``2026/11/27``, which ``type=date``
drops; the special report's page began at h2 and showed its error only at the top; record dates read
2026-08-29 among 2026年11月7日; the 500 page was plain text.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, RequestFactory
from django.utils import timezone

from pubcredit.access.models import Role, User
from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog import services as catalog_services
from pubcredit.collection import queries as collection_queries
from pubcredit.portal import views
from pubcredit.portal.templatetags.portal_format import dated
from pubcredit.reports.templatetags.reports_format import field_rows
from pubcredit.subjects.models import Subject
from tests.factories import collection as rf
from tests.factories import subjects as f

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("catalog")]


@pytest.fixture(scope="module")
def catalog(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The shipped catalog (its date-typed fields, the self-declaration entry), loaded once per module."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            catalog_services.load_initial_catalog(actor="test:a11y")
            yield
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class Page(HTMLParser):
    """What the checks need of a page: its ids, the form controls' attributes, the headings in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.headings: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("input", "select", "textarea", "fieldset") and a.get("type") != "hidden":
            self.controls.append({"tag": tag, **a})
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(tag)

    def control(self, name: str) -> dict[str, str]:
        [found] = [c for c in self.controls if c.get("name") == name]
        return found

    def described_by(self, control: dict[str, str]) -> list[str]:
        refs = control.get("aria-describedby", "").split()
        missing = [r for r in refs if r not in self.ids]
        assert not missing, f"{control.get('name')}: aria-describedby names missing ids {missing}"
        return refs


@pytest.fixture
def subject_client() -> tuple[Client, Subject]:
    company = f.org(name="杭州无障碍测试有限公司")
    user = User.objects.create_user(username="a11y", password="x-Long-pass-1", role=Role.SUBJECT, subject=company)
    client = Client()
    client.force_login(user)
    return client, company


# --- CSRF failure, 500 ---------------------------------------------------------------------------

def test_a_failed_csrf_check_answers_the_portal_error_page_in_chinese() -> None:
    client = Client(enforce_csrf_checks=True)
    res = client.post("/accounts/login/", {"username": "x", "password": "y"}, HTTP_REFERER="http://testserver/accounts/login/")
    assert res.status_code == 403
    html = res.content.decode()
    assert [t.name for t in res.templates][:2] == ["portal/error.html", "portal/base.html"]
    assert '<html lang="zh-Hans">' in html
    assert 'name="viewport"' in html
    assert "页面已过期或来源无法确认，请返回上一页刷新后重新提交。" in html
    assert 'href="http://testserver/accounts/login/">返回上一页</a>' in html
    # A Referer of another site is no way back.
    res = client.post("/accounts/login/", {}, HTTP_REFERER="https://evil.example/form")
    assert res.status_code == 403
    assert "evil.example" not in res.content.decode()


def test_a_failed_csrf_check_under_api_answers_json() -> None:
    res = views.csrf_failure(RequestFactory().post("/api/v1/authorizations/"), reason="CSRF cookie not set.")
    assert res.status_code == 403
    assert res["Content-Type"].startswith("application/json")
    assert json.loads(res.content)["code"] == "csrf_failed"


def test_the_500_page_is_a_portal_page_made_without_the_database(django_assert_num_queries: Any) -> None:
    request = RequestFactory().get("/search/?q=x")
    with django_assert_num_queries(0):
        res = views.server_error(request)
    assert res.status_code == 500
    assert res["Content-Type"].startswith("text/html")
    html = res.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert 'name="viewport"' in html
    assert "<h1>" in html
    assert "服务暂时不可用，请稍后重试。" in html


def test_the_500_page_falls_back_to_text_when_it_cannot_be_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("template storage gone")

    monkeypatch.setattr(views, "render_to_string", broken)
    res = views.server_error(RequestFactory().get("/"))
    assert res.status_code == 500
    assert res.content.decode() == "服务暂时不可用，请稍后重试。"


# --- date inputs, field errors ----------------------------------------------------------------

def test_date_inputs_get_iso_values_which_type_date_accepts(subject_client: tuple[Client, Subject]) -> None:
    client, _company = subject_client
    today = timezone.localdate()
    page = Page(client.get("/my/authorizations/").content.decode())
    assert page.control("valid_from")["value"] == today.isoformat()
    assert page.control("valid_until")["value"] == (today + timedelta(days=30)).isoformat()
    res = client.post("/my/declarations/",
                      {"title": "", "category": "纳税证明", "content": "x", "occurred_on": "2025-04-20"})
    assert res.status_code == 400
    assert Page(res.content.decode()).control("occurred_on")["value"] == "2025-04-20"


@pytest.mark.parametrize(("url", "blank"), [("/my/declarations/", "title"), ("/my/authorizations/", "purpose")])
def test_field_errors_are_named_by_the_fields_aria_describedby(subject_client: tuple[Client, Subject], url: str,
                                                               blank: str) -> None:
    client, _company = subject_client
    res = client.post(url, {blank: ""})
    assert res.status_code == 400
    page = Page(res.content.decode())
    invalid = [c for c in page.controls if c.get("aria-invalid") == "true"]
    assert invalid
    for control in invalid:
        assert f"id_{control['name']}_error" in page.described_by(control)
    for control in page.controls:
        page.described_by(control)  # no dangling reference anywhere


def test_search_error_is_named_by_the_search_box() -> None:
    res = Client().get("/search/", {"q": "9" * 18})
    assert res.status_code == 400
    page = Page(res.content.decode())
    box = page.control("q")
    assert box["aria-invalid"] == "true"
    assert page.described_by(box) == ["q-hint", "q-error"]


# --- the special report ---------------------------------------------------------------------

def test_special_report_page_starts_with_the_reports_h1() -> None:
    company = f.org(name="杭州专项报告测试有限公司")
    res = Client().get(f"/subjects/{company.uscc}/special-report/", {"from": "2025-01-01"})
    assert res.status_code == 200
    main = res.content.decode().split('<main id="main">', 1)[1]
    headings = Page(main).headings
    assert headings[0] == "h1", headings
    assert all(int(b[1]) <= int(a[1]) + 1 for a, b in itertools.pairwise(headings)), headings


def test_special_report_error_sits_next_to_the_dates_and_marks_both() -> None:
    company = f.org(name="杭州专项报告测试有限公司")
    res = Client().get(f"/subjects/{company.uscc}/special-report/", {"from": "2026-01-01", "to": "2020-01-01"})
    assert res.status_code == 400
    html = res.content.decode()
    page = Page(html)
    for name in ("from", "to"):
        control = page.control(name)
        assert control["aria-invalid"] == "true"
        assert page.described_by(control) == ["rp-dates-error"]
    dates = html.split('<div class="rp-dates">', 1)[1].split("</div>", 1)[0]
    assert 'id="rp-dates-error" role="alert"' in dates
    assert html.count('class="error"') == 1  # not again at the top of the form
    res = Client().get(f"/subjects/{company.uscc}/special-report/", {"from": "2025-01-01", "classes": "bogus"})
    assert res.status_code == 400
    page = Page(res.content.decode())
    assert page.described_by(page.control("from")) == []
    [classes] = [c for c in page.controls if c["tag"] == "fieldset"]
    assert page.described_by(classes) == ["rp-classes-error"]


# --- dates inside records ---------------------------------------------------------------------

def test_record_dates_read_as_chinese_dates_on_the_pages_and_stay_iso_in_the_api_and_report() -> None:
    penalty = catalog_queries.published_version("penalty-scjg")
    company = f.org(name="杭州日期显示测试有限公司")
    decided = timezone.localdate() - timedelta(days=30)
    rf.record(company, penalty, decision=decided, data={"CF_WSH": "杭市监罚〔2026〕日期-1号", "CF_SY": "测试事实",
                                                        "CF_JDRQ": decided.isoformat(), "CF_NR": "2026-01-02"})
    shown = f"{decided.year}年{decided.month}月{decided.day}日"
    for url in (f"/subjects/{company.uscc}/", f"/subjects/{company.uscc}/report/"):
        html = Client().get(url).content.decode()
        assert f"<dt>处罚决定日期</dt><dd>{shown}</dd>" in html, url
        assert "<dd>2026-01-02</dd>" in html, url  # a text field that looks like a date stays as it is
    api = Client().get(f"/api/v1/subjects/{company.uscc}").json()
    assert decided.isoformat() in json.dumps(api)
    assert shown not in json.dumps(api, ensure_ascii=False)
    report = Client().get(f"/api/v1/subjects/{company.uscc}/report").json()
    assert decided.isoformat() in json.dumps(report["content"])  # the signed content keeps ISO dates
    assert shown not in json.dumps(report["content"], ensure_ascii=False)


def test_pdf_record_table_shows_date_fields_as_chinese_dates() -> None:
    """By entry, in a process that has decoded nothing yet (a fresh PDF worker): the entry's own types."""
    collection_queries._DATE_FIELDS.clear()
    rows = field_rows([("CF_JDRQ", "处罚决定日期", "2026-08-29"), ("CF_WSH", "文号", "2026-08-29"),
                       ("CF_JDRQ", "处罚决定日期", "2026-02-30")], "penalty-scjg")
    assert rows == [(("处罚决定日期", "2026年8月29日"), ("文号", "2026-08-29")), (("处罚决定日期", "2026-02-30"),)]
    assert "CF_JDRQ" in collection_queries.date_fields("penalty-scjg")
    assert "CF_WSH" not in collection_queries.date_fields("penalty-scjg")


def test_a_text_field_named_like_another_entrys_date_field_stays_as_written() -> None:
    from tests.factories.catalog import PublishedVersionFactory

    dated_entry = PublishedVersionFactory(fields=[{"name": "valid_from", "label": "起始日期", "type": "date"}])
    text_entry = PublishedVersionFactory(fields=[{"name": "valid_from", "label": "起始说明", "type": "string"}])
    shown = [("valid_from", "x", "2024-05-01")]
    assert dated(shown, dated_entry.entry.code)[0][2] == "2024年5月1日"
    assert dated(shown, text_entry.entry.code)[0][2] == "2024-05-01"
