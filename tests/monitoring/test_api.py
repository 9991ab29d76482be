"""GET /api/v1/departments/{code}/quality: staff only, 400/403/404 as documented."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.collection.models import BatchStatus
from tests.access.helpers import login_verified
from tests.factories.catalog import DepartmentFactory, PublishedVersionFactory
from tests.monitoring.helpers import at, batch, reject

pytestmark = pytest.mark.django_db

URL = "/api/v1/departments/{}/quality"


@pytest.fixture
def staff(client: Client, django_user_model: Any) -> Client:
    # staff reach nothing before their one-time code: mark this session as having passed it
    login_verified(client, django_user_model.objects.create_user("officer", is_staff=True, role="officer"))
    return client


@pytest.fixture
def dept() -> None:
    department = DepartmentFactory(code="huanbao", name="杭州市生态环境局")
    version = PublishedVersionFactory(entry__code="CF-HB", entry__department=department, frequency="daily",
                                      submission_lag_workdays=7)
    today = timezone.localdate()
    b = batch(version, at(today - timedelta(days=30)), rows=20, rejected=2, status=BatchStatus.COMPLETED)
    reject(b, "CF_JDRQ", "必填字段，不能为空", times=2)


def test_staff_reads_a_department(staff: Client, dept: None) -> None:
    res = staff.get(URL.format("huanbao"))
    assert res.status_code == 200
    body = res.json()
    assert body["department_name"] == "杭州市生态环境局"
    assert body["period_days"] == 90
    assert body["today"] == timezone.localdate().isoformat()
    assert (body["rows_received"], body["rows_rejected"], body["rejection_rate"]) == (20, 2, 0.1)
    [entry] = body["entries"]
    assert entry["entry_code"] == "CF-HB"
    assert entry["late"] is True
    assert entry["days_overdue"] > 0
    assert entry["next_due"] < body["today"]
    assert (entry["lag_limit_workdays"], entry["lag_checked"], entry["late_share"]) == (7, 0, None)  # no records
    assert body["missing_required"] == [{"entry_code": "CF-HB", "field": "CF_JDRQ", "label": "处罚决定日期",
                                         "count": 2}]
    assert body["top_reasons"][0]["reason"] == "必填字段，不能为空"


def test_period_param(staff: Client, dept: None) -> None:
    res = staff.get(URL.format("huanbao"), {"period_days": 5})
    assert res.status_code == 200
    assert (res.json()["period_days"], res.json()["batches"]) == (5, 0)


@pytest.mark.parametrize("period", ["0", "3651", "-1", "abc", "1.5"])
def test_bad_period_is_400(staff: Client, dept: None, period: str) -> None:
    res = staff.get(URL.format("huanbao"), {"period_days": period})
    assert res.status_code == 400
    assert res.json()["field"] == "period_days"


def test_malformed_code_is_400(staff: Client) -> None:
    res = staff.get(URL.format("x" * 41))
    assert res.status_code == 400
    assert res.json()["field"] == "code"
    assert staff.get(URL.format("bad%20code")).status_code == 400


def test_unknown_department_is_404(staff: Client) -> None:
    res = staff.get(URL.format("no-such-dept"))
    assert res.status_code == 404
    assert res.json()["code"] == "not_found"


def test_anonymous_and_non_staff_are_refused(client: Client, dept: None, django_user_model: Any) -> None:
    res = client.get(URL.format("huanbao"))
    assert res.status_code == 403
    assert res.json()["code"] == "not_permitted"
    client.force_login(django_user_model.objects.create_user("citizen"))
    assert client.get(URL.format("huanbao")).status_code == 403
    # Refused before the department is looked up: no probing of codes.
    assert client.get(URL.format("no-such-dept")).status_code == 403


def test_documented_in_openapi(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    op = paths["/api/v1/departments/{code}/quality"]["get"]
    assert {"200", "400", "403", "404"} <= set(op["responses"])
    [param] = [p for p in op["parameters"] if p["name"] == "period_days"]
    assert (param["schema"]["minimum"], param["schema"]["maximum"]) == (1, 3650)
