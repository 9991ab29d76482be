"""The report's hooks on the channels that list a subject's records besides the report: the subject page
(``/subjects/<key>/``, and ``/my/``) and the subject API (``GET /api/v1/subjects/{code}``).

docs/reports.md promises that every channel picks a registered source up: a record concealed at the
subject's request (Art. 35) is left out — of the query log too —, and a record under objection (Art. 34)
carries 异议处理中, exactly as in the credit report. Both channels ignored them (reviewer's defect 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import QueryLog
from pubcredit.reports import hooks, rules
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db


def _api(code: str, **headers: str) -> dict[str, list[dict[str, object]]]:
    res = Client().get(f"/api/v1/subjects/{code}", headers=headers)
    assert res.status_code == 200, res.content
    return res.json()  # type: ignore[no-any-return]


def _api_records(code: str, **headers: str) -> dict[int, dict[str, object]]:
    api = _api(code, **headers)
    return {int(str(r["id"])): r for c in ("basic", "adverse", "trustworthy") for r in api[c]}


def _page(url: str, lang: str = "zh-hans") -> str:
    res = Client().get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert res.status_code == 200
    return res.content.decode()


def _report_items(code: str) -> dict[int, list[str]]:
    content = Client().get(f"/api/v1/subjects/{code}/report").json()["content"]
    return {it["record_id"]: it["marks"] for s in content["sections"] for it in s["items"]}


def _conceal(*record_ids: int) -> hooks.ConcealmentSource:
    return lambda subject_id, ids: [i for i in record_ids if i in ids]


# --- Art. 35: concealment --------------------------------------------------------------------


def test_concealed_record_is_left_out_of_the_subject_page_and_api(company: Company) -> None:
    declared = company.records["declared"].pk  # public, self-declared: concealable
    code = company.subject.uscc or ""
    assert declared in _api_records(code)
    assert "自主申报市场信用信息" in _page(f"/subjects/{code}/")
    with hooks.registered(hooks.CONCEALMENT_SOURCES, _conceal(declared)):
        assert declared not in _report_items(code)
        api = _api_records(code)
        page = _page(f"/subjects/{code}/")
    assert declared not in api
    assert company.records["penalty"].pk in api  # the rest is still there
    assert "自主申报市场信用信息" not in page
    assert "行政处罚信息（市场监管）" in page


def test_concealment_never_hides_adverse_or_basic_records(company: Company) -> None:
    """Only trustworthy and self-declared records can be concealed (``rules.is_concealable``), even if a
    source names others; and the source is asked about concealable records only, once per read."""
    code = company.subject.uscc or ""
    asked: list[Sequence[int]] = []

    def everything(subject_id: int, ids: Sequence[int]) -> list[int]:
        asked.append(list(ids))
        return [r.pk for r in company.records.values()]

    with hooks.registered(hooks.CONCEALMENT_SOURCES, everything):
        api = _api_records(code)
        assert len(asked) == 1
        page = _page(f"/subjects/{code}/")
        assert len(asked) == 2
    assert asked[0] == asked[1] == [company.records["declared"].pk]  # the donation is not public
    for key in ("basic", "penalty", "defaulter", "breach"):
        assert company.records[key].pk in api
    assert "行政处罚信息（市场监管）" in page
    assert "自主申报市场信用信息" not in page


def test_concealed_record_is_not_handed_out_nor_logged_to_an_authorised_reader(company: Company) -> None:
    """The bank reads authorised information (the donation) under the company's authorisation; with the
    donation concealed, neither the API answer nor the query log names it."""
    secret = tokens.create_agency_token(company.bank, name="授信审查", actor="test").secret
    code = company.subject.uscc or ""
    donation = company.records["donation"].pk
    assert donation in _api_records(code, Authorization=f"Bearer {secret}")
    assert "charitable-donation" in QueryLog.objects.get().entries
    seen = QueryLog.objects.get().pk
    with hooks.registered(hooks.CONCEALMENT_SOURCES, _conceal(donation)):
        records = _api_records(code, Authorization=f"Bearer {secret}")
    assert donation not in records
    assert "charitable-donation" not in QueryLog.objects.exclude(pk=seen).get().entries


def test_own_page_leaves_concealed_records_out_as_the_report_does(company: Company) -> None:
    from pubcredit.access.models import Role, User

    user = User.objects.create_user(username="hooks-me", password="x-Long-pass-1", role=Role.SUBJECT,
                                    subject=company.subject)
    client = Client()
    client.force_login(user)
    with hooks.registered(hooks.CONCEALMENT_SOURCES, _conceal(company.records["donation"].pk)):
        html = client.get("/my/").content.decode()
    assert "慈善捐赠信息" not in html
    assert "逾期不缴纳罚款信息" in html  # every level of its own


# --- Art. 34: marks --------------------------------------------------------------------------


def _mark(*record_ids: int) -> hooks.MarkSource:
    return lambda ids: {i: [rules.OBJECTION_MARK] for i in record_ids if i in ids}


def test_objection_mark_on_the_subject_api_as_in_the_report(company: Company) -> None:
    code = company.subject.uscc or ""
    penalty, declared = company.records["penalty"].pk, company.records["declared"].pk
    assert all(r["marks"] == ([rules.SELF_DECLARED_MARK] if i == declared else [])
               for i, r in _api_records(code).items())
    with hooks.registered(hooks.MARK_SOURCES, _mark(penalty, declared)):
        report = _report_items(code)
        api = _api_records(code)
    assert api[penalty]["marks"] == [rules.OBJECTION_MARK]
    assert api[declared]["marks"] == [rules.SELF_DECLARED_MARK, rules.OBJECTION_MARK]
    assert {i: r["marks"] for i, r in api.items()} == {i: m for i, m in report.items() if i in api}


def test_objection_mark_on_the_subject_page(company: Company) -> None:
    code = company.subject.uscc or ""
    mark = f'<span class="badge warn">{rules.OBJECTION_MARK}</span>'
    assert mark not in _page(f"/subjects/{code}/")
    with hooks.registered(hooks.MARK_SOURCES, _mark(company.records["penalty"].pk)):
        assert rules.OBJECTION_MARK in _page(f"/subjects/{code}/report/")
        page = _page(f"/subjects/{code}/")
        english = _page(f"/subjects/{code}/", "en")
    assert page.count(mark) == 1
    assert re.search(rf"<h3>行政处罚信息（市场监管）[^<]*{re.escape(mark)}</h3>", page)
    assert '<span class="badge warn">自主申报</span>' in page  # the self-declared record, as before
    assert '<span class="badge warn">Objection pending</span>' in english


def test_hooks_are_asked_once_per_read_of_the_subject(company: Company) -> None:
    code = company.subject.uscc or ""
    calls: list[Sequence[int]] = []

    def source(ids: Sequence[int]) -> dict[int, list[str]]:
        calls.append(list(ids))
        return {}

    with hooks.registered(hooks.MARK_SOURCES, source):
        api = _api_records(code)
        _page(f"/subjects/{code}/")
    assert len(calls) == 2
    assert sorted(calls[0]) == sorted(calls[1]) == sorted(api)


def test_openapi_documents_the_marks(company: Company) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    record = schema["components"]["schemas"]["RecordOut"]
    assert "marks" in record["required"]
    assert record["properties"]["marks"]["type"] == "array"
    assert rules.OBJECTION_MARK in record["properties"]["marks"]["description"]
    operation = schema["paths"]["/api/v1/subjects/{code}"]["get"]
    assert "marks" in operation["description"]
    assert "Art. 35" in operation["description"]
