"""Portal pages at their edges: a wrong request method, a page past the last, an authorisation that starts
later, and the own-pages menu of accounts the platform does not read as the subject."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access.models import Role, User
from pubcredit.access.readers import Reader, visibility
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db

OWN_PAGES = ("/my/", "/my/query-log/", "/my/authorizations/", "/my/declarations/")


# --- a request method the page does not take ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/search/", "/catalog/", "/application-list/"])
def test_a_wrong_method_on_a_page_answers_the_chinese_error_page_with_allow(path: str) -> None:
    res = Client().post(path, {"q": "杭州"})
    assert res.status_code == 405
    assert res["Allow"] == "GET"
    html = res.content.decode()
    assert "不支持的请求方式" in html
    assert "返回首页" in html
    assert [t.name for t in res.templates][:1] == ["portal/error.html"]


def test_a_wrong_method_under_the_api_answers_json_with_allow() -> None:
    res = Client().post(f"/api/v1/subjects/{f.uscc()}")
    assert res.status_code == 405
    assert res["Allow"] == "GET"
    assert res["Content-Type"].startswith("application/json")
    assert res.json() == {"code": "method_not_allowed", "message": "不支持该请求方式"}


def test_a_wrong_method_page_speaks_the_readers_language() -> None:
    res = Client().post("/search/", headers={"accept-language": "en"})
    assert res.status_code == 405
    assert "Method not allowed" in res.content.decode()


# --- a search page past the last -----------------------------------------------------------------------


def test_a_search_page_past_the_last_leads_to_the_last_page() -> None:
    f.org(name="杭州孤页测试有限公司")
    res = Client().get("/search/", {"q": "孤页测试", "page": "5"})
    assert res.status_code == 302
    assert res["Location"].startswith("/search/?")
    html = Client().get(res["Location"]).content.decode()
    assert "找到 1 个信用主体" in html
    assert "杭州孤页测试有限公司" in html
    assert "没有找到匹配的信用主体" not in html


def test_a_search_finding_nothing_still_says_so_on_any_page() -> None:
    res = Client().get("/search/", {"q": "查无此名", "page": "3"})
    assert res.status_code == 200
    assert "没有找到匹配的信用主体" in res.content.decode()


# --- an authorisation that starts later -----------------------------------------------------------------


def test_an_authorisation_starting_later_is_listed_as_not_yet_in_force_as_the_reader_rule_reads_it() -> None:
    company = f.org(name="杭州将来授权有限公司")
    grantee = f.org(name="杭州将来征信有限公司")
    today = timezone.localdate()
    access_services.grant_authorization(subject=company, grantee=grantee, purpose="下月授信审查",
                                        valid_from=today + timedelta(days=20), valid_until=today + timedelta(days=40),
                                        actor="test")
    access_services.grant_authorization(subject=company, grantee=f.org(name="杭州现行征信有限公司"),
                                        purpose="本月授信审查", valid_from=today,
                                        valid_until=today + timedelta(days=40), actor="test")
    me = User.objects.create_user(username="future-auth", password="x-Long-pass-1", role=Role.SUBJECT, subject=company)
    client = Client()
    client.force_login(me)
    html = client.get("/my/authorizations/").content.decode()

    def status_of(purpose: str) -> str:
        return re.sub(r"<[^>]+>", "", html[html.index(purpose):].split("</td>")[2]).strip()

    assert status_of("下月授信审查") == "未生效"
    assert status_of("本月授信审查") == "有效"
    assert visibility(Reader(kind="agency", agency_id=grantee.pk), company.pk).levels == {"public"}


def test_granting_an_authorisation_that_starts_later_says_when_it_takes_effect() -> None:
    company = f.org(name="杭州预先授权有限公司")
    grantee = f.org(name="杭州预先征信有限公司")
    me = User.objects.create_user(username="grant-later", password="x-Long-pass-1", role=Role.SUBJECT,
                                  subject=company)
    client = Client()
    client.force_login(me)
    starts = timezone.localdate() + timedelta(days=7)
    res = client.post("/my/authorizations/", {"grantee_code": grantee.uscc, "purpose": "下周授信审查",
                                              "valid_from": starts.isoformat(),
                                              "valid_until": (starts + timedelta(days=7)).isoformat()}, follow=True)
    html = res.content.decode()
    assert f"授权已保存，自 {starts.year}年{starts.month}月{starts.day}日 起生效。" in html
    assert "授权已生效。" not in html


# --- the own-pages menu ----------------------------------------------------------------------------------


def test_an_agency_account_bound_to_its_organisation_is_not_offered_the_own_pages() -> None:
    user = User.objects.create_user(username="agency-menu", password="x-Long-pass-1", role=Role.AGENCY,
                                    subject=f.org(name="杭州菜单征信有限公司"))
    client = Client()
    client.force_login(user)
    home = client.get("/").content.decode()
    assert "/my/" not in home
    assert "我的信用" not in home
    assert client.get("/my/").status_code == 403  # the pages still refuse it, as the reader is not the subject


def test_a_subject_account_is_offered_the_own_pages_and_each_opens() -> None:
    user = User.objects.create_user(username="subject-menu", password="x-Long-pass-1", role=Role.SUBJECT,
                                    subject=f.org(name="杭州菜单主体有限公司"))
    client = Client()
    client.force_login(user)
    home = client.get("/").content.decode()
    for path in OWN_PAGES:
        assert f'href="{path}"' in home, path
    for path in OWN_PAGES[:3]:  # 自主申报 needs the shipped catalog's entry (tests/collection/test_market.py)
        assert client.get(path).status_code == 200, path
