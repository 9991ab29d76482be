"""谁查询了我 (Art. 33): the subject reads who queried it — the organisation or department by name — which
open levels and through which channel, in words, not the log's internal slugs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access import tokens
from pubcredit.access.models import QueryLog, Role, User
from pubcredit.subjects.models import Subject
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory

pytestmark = pytest.mark.django_db


def _own_log_rows(subject: Subject, username: str) -> str:
    me = User.objects.create_user(username=username, password="x-Long-pass-1", role=Role.SUBJECT, subject=subject)
    client = Client()
    client.force_login(me)
    html = client.get("/my/query-log/").content.decode()
    return html[html.index("<tbody>"):html.index("</tbody>")]


def test_an_agency_read_through_the_api_is_listed_with_the_agency_name_and_levels_in_chinese() -> None:
    company = f.org(name="杭州被查询有限公司")
    agency = f.org(name="杭州看得见征信有限公司")
    rf.record(company, PublishedVersionFactory(open_level="authorized", entry__name="授权条目乙"))
    today = timezone.localdate()
    access_services.grant_authorization(subject=company, grantee=agency, purpose="授信审查", valid_from=today,
                                        valid_until=today + timedelta(days=10), actor="test")
    secret = tokens.create_agency_token(agency, name="查询", actor="test").secret
    read = Client().get(f"/api/v1/subjects/{company.uscc}", headers={"Authorization": f"Bearer {secret}"})
    assert read.status_code == 200, read.content
    assert "授权条目乙" in json.dumps(read.json(), ensure_ascii=False)
    row = _own_log_rows(company, "queried-me")
    assert "授信审查" in row
    assert "杭州看得见征信有限公司" in row  # who queried: the organisation's name
    assert "授权查询" in row
    assert "接口" in row
    for slug in ("agency:", "authorized", ">api<"):
        assert slug not in row, row


def test_a_department_read_is_listed_with_the_department_name_and_every_label_in_chinese() -> None:
    company = f.org(name="杭州被部门查询有限公司")
    dept = DepartmentFactory(code="hz-test-qlog", name="杭州市查询测试局")
    for channel in ("web", "batch", "pdf"):
        QueryLog.objects.create(subject=company, reader_kind="officer", reader_name="dept:hz-test-qlog",
                                department=dept, levels=["authorized", "internal"], entries=["X"],
                                purpose=f"许可审查-{channel}", channel=channel)
    row = _own_log_rows(company, "dept-queried-me")
    assert row.count("杭州市查询测试局") == 3
    assert "授权查询、政府内部应用" in row
    for label in ("网页", "批量查询", "PDF 报告"):
        assert f"<td data-label=\"渠道\">{label}</td>" in row, row
    assert "dept:hz-test-qlog" not in row
    assert "internal" not in row


def test_the_query_log_page_reads_the_readers_without_a_query_per_row() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    company = f.org(name="杭州多行查询有限公司")
    agencies = [f.org(name=f"杭州第{i}征信有限公司") for i in range(4)]
    dept = DepartmentFactory(code="hz-test-qlog2", name="杭州市多行测试局")
    for agency in agencies:
        QueryLog.objects.create(subject=company, reader_kind="agency", reader_name=f"agency:{agency.pk}",
                                agency=agency, levels=["authorized"], purpose="授信", channel="api")
    QueryLog.objects.create(subject=company, reader_kind="officer", reader_name="dept:x", department=dept,
                            levels=["internal"], purpose="审查", channel="web")
    me = User.objects.create_user(username="many-rows", password="x-Long-pass-1", role=Role.SUBJECT, subject=company)
    client = Client()
    client.force_login(me)
    client.get("/my/query-log/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        few_html = client.get("/my/query-log/").content.decode()
    for i in range(4, 12):
        agency = f.org(name=f"杭州第{i}征信有限公司")
        QueryLog.objects.create(subject=company, reader_kind="agency", reader_name=f"agency:{agency.pk}",
                                agency=agency, levels=["authorized"], purpose="授信", channel="api")
    with CaptureQueriesContext(connection) as many:
        many_html = client.get("/my/query-log/").content.decode()
    assert "杭州第0征信有限公司" in few_html
    assert "杭州第11征信有限公司" in many_html
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
