"""The officer pages /quality/ and /quality/<code>/: staff only, Chinese, phone-friendly markup."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from tests.access.helpers import login_verified
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory
from tests.monitoring.helpers import at, batch, reject

pytestmark = pytest.mark.django_db


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


@pytest.fixture
def staff(client: Client, django_user_model: Any) -> Client:
    # staff reach nothing before their one-time code: mark this session as having passed it
    login_verified(client, django_user_model.objects.create_user("officer", is_staff=True, role="officer"))
    return client


@pytest.fixture
def depts() -> date:
    """A late department (monthly entry last submitted 80 days ago) and a punctual one; returns
    the late entry's due day."""
    today = timezone.localdate()
    late = DepartmentFactory(code="jiaotong", name="杭州市交通运输局")
    monthly = PublishedVersionFactory(entry__code="JT-M", entry__name="道路运输许可", entry__department=late,
                                      frequency="monthly")
    b = batch(monthly, at(today - timedelta(days=80)), rows=40, rejected=4)
    reject(b, "CF_WSH", "必填字段，不能为空", times=3)
    reject(b, "CF_SY", "超过最大长度", times=1)
    good = DepartmentFactory(code="shuiwu", name="杭州市税务局")
    weekly = PublishedVersionFactory(entry__department=good, frequency="weekly")
    batch(weekly, at(today - timedelta(days=1)))
    return _due_of("jiaotong")


def _due_of(code: str) -> date:
    from pubcredit.monitoring import queries

    return queries.department_quality(code).entries[0].next_due


def test_overview_lists_departments_worst_first(staff: Client, depts: date) -> None:
    res = staff.get("/quality/")
    assert res.status_code == 200
    html = res.content.decode()
    assert html.index("杭州市交通运输局") < html.index("杭州市税务局")
    assert "1 个事项逾期" in html
    assert "退回率 10.0%" in html
    assert 'href="jiaotong/?period_days=90"' in html
    assert 'class="list stack"' in html
    assert 'class="table-scroll"' in html
    start = timezone.localdate() - timedelta(days=89)
    assert f"统计期间：{_cn(start)}至{_cn(timezone.localdate())}（90 天）" in html


def test_department_page_highlights_late_entries_and_reasons(staff: Client, depts: date) -> None:
    res = staff.get("/quality/jiaotong/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "杭州市交通运输局报送质量" in html
    assert 'class="badge adverse">逾期' in html
    assert f"应报送：{_cn(depts)}前（已逾期）" in html
    assert "最近报送：" + _cn(timezone.localdate() - timedelta(days=80)) in html
    assert "退回率 10.0%" in html
    assert "必填字段，不能为空" in html
    assert "超过最大长度" in html
    assert "缺失 3 次" in html
    assert "行政处罚决定书文号" in html  # the field's label from the catalog


def test_period_choice(staff: Client, depts: date) -> None:
    res = staff.get("/quality/jiaotong/", {"period_days": "30"})
    assert res.status_code == 200
    assert res.context["q"].period_days == 30
    assert '<option value="30" selected>' in res.content.decode()
    assert staff.get("/quality/", {"period_days": "abc"}).status_code == 400
    assert staff.get("/quality/jiaotong/", {"period_days": "0"}).status_code == 400


def test_unknown_and_malformed_department(staff: Client) -> None:
    res = staff.get("/quality/no-such-dept/")
    assert res.status_code == 404
    assert "不存在" in res.content.decode()
    assert staff.get("/quality/" + "x" * 41 + "/").status_code == 400


def test_anonymous_is_sent_to_login(client: Client, depts: date) -> None:
    res = client.get("/quality/jiaotong/?period_days=30")
    assert res.status_code == 302
    assert res["Location"] == "/accounts/login/?next=/quality/jiaotong/%3Fperiod_days%3D30"
    assert client.get("/quality/")["Location"] == "/accounts/login/?next=/quality/"


def test_logged_in_non_staff_is_refused(client: Client, django_user_model: Any) -> None:
    client.force_login(django_user_model.objects.create_user("citizen"))
    res = client.get("/quality/")
    assert res.status_code == 403
    assert "仅限工作人员" in res.content.decode()


def test_empty_department(staff: Client) -> None:
    DepartmentFactory(code="kong", name="杭州市空部门")
    html = staff.get("/quality/kong/").content.decode()
    assert "该部门没有已发布的归集目录事项" in html
    assert "统计期间内没有退回的数据" in html
