"""Special credit report (专项信用报告): found / none found / not collected / not open to the reader."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access.models import QueryLog, Role, User
from pubcredit.access.readers import PUBLIC
from pubcredit.errors import InvalidInput
from pubcredit.reports import services
from tests.reports.conftest import Company, version

pytestmark = pytest.mark.django_db


def _classes(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for c in body["content"]["special"]["classes"]}


@pytest.fixture
def listed(company: Company) -> Company:
    version("serious-dishonesty-org", "严重失信主体名单信息（组织）", "adverse", "public")  # collected, no record
    return company


def test_public_special_report_states_each_class(listed: Company) -> None:
    today = timezone.localdate()
    res = Client().get(f"/api/v1/subjects/{listed.subject.uscc}/special-report",
                       {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()})
    assert res.status_code == 200
    body = res.json()
    classes = _classes(body)
    assert list(classes) == ["penalty", "compulsion", "serious_dishonesty", "court_defaulter", "business_anomaly",
                             "commitment_breach", "arrears", "other_adverse"]
    assert classes["penalty"]["status"] == "found"
    assert [i["entry_code"] for i in classes["penalty"]["items"]] == ["penalty-scjg"]  # expired 2019 one not shown
    assert "1 条" in classes["penalty"]["statement"]
    assert classes["compulsion"]["status"] == "not_collected"
    assert classes["compulsion"]["statement"].startswith("本平台未归集该类信息")
    assert classes["serious_dishonesty"]["status"] == "none"
    assert "未查询到该类记录" in classes["serious_dishonesty"]["statement"]
    assert classes["court_defaulter"]["status"] == "found"
    assert classes["arrears"]["status"] == "not_covered"  # unpaid fines are government-internal
    assert "不能视为无记录" in classes["arrears"]["statement"]
    assert body["content"]["levels"] == ["public"]
    assert "本报告涵盖社会公开信息" in body["content"]["notes"][0]
    assert body["content"]["sections"] == []
    ver = Client().get(f"/api/v1/reports/verify/{body['verification']['code']}").json()
    assert ver["kind"] == "special"
    assert ver["parameters"]["classes"] == list(classes)


def test_subject_itself_gets_non_public_classes(listed: Company) -> None:
    issued = services.issue_special_report(listed.subject, reader=listed.own, classes="arrears,penalty")
    classes = {c.code: c for c in issued.report.special.classes} if issued.report.special else {}
    assert list(classes) == ["penalty", "arrears"]
    assert classes["arrears"].status == "found"
    assert issued.report.levels == ("public", "authorized", "internal")
    assert not QueryLog.objects.exists()


def test_period_without_records_says_none_found(listed: Company) -> None:
    today = timezone.localdate()
    issued = services.issue_special_report(listed.subject, reader=PUBLIC, classes=["penalty"],
                                           date_from=today - timedelta(days=10), date_to=today)
    assert issued.report.special is not None
    (penalty,) = issued.report.special.classes
    assert penalty.status == "none"
    assert penalty.items == ()


def test_authorised_agency_special_report_is_logged_once_with_what_it_got(listed: Company) -> None:
    services.issue_special_report(listed.subject, reader=listed.bank_reader, classes="penalty,arrears")
    log = QueryLog.objects.get()
    assert log.levels == ["authorized"]
    assert log.entries == []


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2019-01-01", "to": "2026-01-01"}, "from"),
    ({"from": "2020-01-01", "to": "2999-01-01"}, "to"),
    ({"classes": "penalty,bribery"}, "classes"),
    ({"from": "not-a-date"}, "from"),
    # found by the API fuzzing: the default period (three years before `to`) fell before year 1: 500
    ({"to": "0001-01-01"}, "to"),
    ({"to": "0003-12-31", "classes": "penalty"}, "to"),
    # found by fuzzing with another seed: a number was read as seconds since 1970 and answered 200
    ({"from": "0", "to": "0"}, "from"),
    ({"to": "1700000000"}, "to"),
])
def test_bad_special_report_parameters_are_400(listed: Company, params: dict[str, str], field: str) -> None:
    res = Client().get(f"/api/v1/subjects/{listed.subject.uscc}/special-report", params)
    assert res.status_code == 400
    assert field in (res.json().get("field") or "")
    assert not res.json()["message"].startswith("Value error")
    pdf = Client().get(f"/api/v1/subjects/{listed.subject.uscc}/special-report.pdf", params)
    assert (pdf.status_code, pdf.json().get("field")) == (400, res.json().get("field"))


def test_service_refuses_a_period_longer_than_five_years(listed: Company) -> None:
    today = timezone.localdate()
    with pytest.raises(InvalidInput, match="5 年"):
        services.issue_special_report(listed.subject, reader=PUBLIC, date_from=today - timedelta(days=5 * 366 + 1),
                                      date_to=today)


def test_special_report_pages(listed: Company) -> None:
    client = Client()
    url = f"/subjects/{listed.subject.uscc}/special-report/"
    form = client.get(url)
    assert form.status_code == 200
    assert "出具专项信用报告" in form.content.decode()
    res = client.get(url, {"from": "2025-01-01", "classes": ["penalty", "compulsion"]})
    html = res.content.decode()
    assert res.status_code == 200
    assert "行政处罚信息（含简易程序处罚）" in html
    assert "本平台未归集该类信息" in html
    assert "special-report.pdf?" in html
    bad = client.get(url, {"from": "2010-01-01"})
    assert bad.status_code == 400
    assert "5 年" in bad.content.decode()
    owner = User.objects.create_user(username="own-special", password="x-Long-pass-1", role=Role.SUBJECT,
                                     subject=listed.subject)
    client.force_login(owner)
    own = client.get(url, {"from": "2025-01-01", "classes": "arrears"}).content.decode()
    assert "逾期不缴纳罚款信息" in own
