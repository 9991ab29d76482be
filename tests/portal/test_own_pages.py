from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services
from pubcredit.access.models import Authorization, QueryLog, Role, User
from tests.access.helpers import login_verified
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def me() -> tuple[Client, User]:
    user = User.objects.create_user(username="me", password="x-Long-pass-1", role=Role.SUBJECT,
                                    subject=f.org(name="杭州本人有限公司"))
    c = Client()
    c.force_login(user)
    return c, user


def test_own_pages_need_login() -> None:
    for url in ("/my/", "/my/query-log/", "/my/authorizations/"):
        res = Client().get(url)
        assert res.status_code == 302
        assert "login" in res["Location"]


def test_account_without_subject_is_refused() -> None:
    c = Client()
    login_verified(c, User.objects.create_user(username="op", password="x-Long-pass-1", role=Role.OPERATOR))
    assert c.get("/my/query-log/").status_code == 403


def test_my_credit_shows_every_level(me: tuple[Client, User]) -> None:
    client, user = me
    from tests.factories import collection as rf

    rf.record(user.subject, PublishedVersionFactory(open_level="internal", entry__name="内部条目甲"))
    html = client.get("/my/").content.decode()
    assert "内部条目甲" in html
    assert not QueryLog.objects.exists()  # reading oneself is not a query by someone else


def test_query_log_page_lists_reads(me: tuple[Client, User]) -> None:
    client, user = me
    dept = DepartmentFactory(code="hz-scjgj", name="杭州市市场监督管理局")
    QueryLog.objects.create(subject=user.subject, reader_kind="officer", reader_name="dept:hz-scjgj",
                            department=dept, levels=["internal"], entries=["X"], purpose="许可审查", channel="api")
    html = client.get("/my/query-log/").content.decode()
    assert "杭州市市场监督管理局" in html  # the department, by name (tests/portal/test_query_log_page.py)
    assert "许可审查" in html


def test_grant_form_errors_next_to_field_and_keeps_input(me: tuple[Client, User]) -> None:
    client, _user = me
    today = timezone.localdate()
    res = client.post("/my/authorizations/", {"grantee_code": "91110000600037341X", "purpose": "贷款审批",
                                              "valid_from": today.isoformat(),
                                              "valid_until": (today + timedelta(days=3)).isoformat()})
    assert res.status_code == 400
    html = res.content.decode()
    assert "校验" in html
    assert 'value="贷款审批"' in html
    assert not Authorization.objects.exists()


def test_grant_and_revoke_through_the_page(me: tuple[Client, User]) -> None:
    client, user = me
    agency = f.org(name="杭州页面征信有限公司")
    today = timezone.localdate()
    res = client.post("/my/authorizations/", {"grantee_code": agency.uscc, "purpose": "授信审查",
                                              "valid_from": today.isoformat(),
                                              "valid_until": (today + timedelta(days=3)).isoformat()})
    assert res.status_code == 302
    auth = Authorization.objects.get()
    assert auth.subject == user.subject
    client.post("/my/authorizations/", {"revoke": str(auth.pk)})
    auth.refresh_from_db()
    assert auth.revoked_at is not None


def test_application_list_is_public() -> None:
    dept = DepartmentFactory(name="杭州市财政局")
    v = PublishedVersionFactory(entry__name="重大税收违法失信主体")
    services.define_matter(department=dept, code="zfcg", name="政府采购供应商资格审查",
                           legal_basis="《政府采购法》第二十二条", entries=[v.entry], actor="t")
    html = Client().get("/application-list/").content.decode()
    assert "政府采购供应商资格审查" in html
    assert "重大税收违法失信主体" in html


@pytest.mark.parametrize("forged", ["abc", "1.5", "", "²", "a\x00b", "1e309", "9" * 40, "x" * 5000])
def test_a_forged_revoke_or_withdraw_button_finds_nothing_and_changes_nothing(me: tuple[Client, User],
                                                                            forged: str) -> None:
    """A button posts a row id; anything else was a 500 (the id given to the ORM as it came)."""
    client, user = me
    grantee = f.org(name="杭州被授权征信有限公司")
    today = timezone.localdate()
    auth = services.grant_authorization(subject=user.subject, grantee=grantee, purpose="授信审查", valid_from=today,
                                        valid_until=today + timedelta(days=30), actor="test")
    for url, button in (("/my/authorizations/", "revoke"), ("/my/declarations/", "withdraw")):
        answer = client.post(url, {button: forged})  # the test client raises what a 500 would hide
        assert answer.status_code == 302, (url, forged, answer.status_code)
    auth.refresh_from_db()
    assert auth.revoked_at is None
