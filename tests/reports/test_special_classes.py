"""The special credit report never states "none found", "not collected", "not applicable" or "not
covered" for a class while the same reader's full report shows a record of that class in the period:
records under retired entries or versions, or collected at another open level than the entry's
current version, are listed under their class whatever the catalog says now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pubcredit.access.readers import PUBLIC, Reader
from pubcredit.catalog import services as catalog_services
from pubcredit.catalog.models import CatalogVersion
from pubcredit.collection.models import Record
from pubcredit.reports import queries, rules, services
from tests.factories import collection as rf
from tests.factories.catalog import PublishedVersionFactory
from tests.reports.conftest import Company, version

pytestmark = pytest.mark.django_db


def _special(code: str) -> dict[str, dict[str, Any]]:
    res = Client().get(f"/api/v1/subjects/{code}/special-report")
    assert res.status_code == 200, res.content
    return {c["code"]: c for c in res.json()["content"]["special"]["classes"]}


def _full_adverse_ids(code: str) -> set[int]:
    res = Client().get(f"/api/v1/subjects/{code}/report")
    assert res.status_code == 200, res.content
    return {it["record_id"] for s in res.json()["content"]["sections"] for it in s["items"]
            if it["info_class"] == "adverse"}


def _ids(cls: dict[str, Any]) -> list[int]:
    return [it["record_id"] for it in cls["items"]]


def test_a_record_under_a_retired_entry_is_still_found(company: Company) -> None:
    penalty = company.records["penalty"]
    catalog_services.retire(company.versions["penalty"], actor="test", reason="条目停用")
    assert penalty.pk in _full_adverse_ids(company.subject.uscc)  # the full report still shows it
    cls = _special(company.subject.uscc)["penalty"]
    assert cls["status"] == "found"  # was not_collected: no published penalty-* entry any more
    assert _ids(cls) == [penalty.pk]
    assert "查询到该类记录 1 条" in cls["statement"]
    assert cls["entries"] == ["行政处罚信息（市场监管）"]  # the entry of the record found, though retired


def test_a_record_under_a_retired_entry_is_found_beside_another_published_entry(company: Company) -> None:
    version("penalty-other", "行政处罚信息（其他）", "adverse", "public")
    penalty = company.records["penalty"]
    catalog_services.retire(company.versions["penalty"], actor="test", reason="条目停用")
    cls = _special(company.subject.uscc)["penalty"]
    assert cls["status"] == "found"  # was "none": a false clean certificate
    assert _ids(cls) == [penalty.pk]
    assert "未查询到" not in cls["statement"]
    # Searched: the class's entry published now, and the entry of the record found.
    assert cls["entries"] == ["行政处罚信息（其他）", "行政处罚信息（市场监管）"]
    assert cls["uncovered_entries"] == []


def _publish_again(old: CatalogVersion, **changes: Any) -> CatalogVersion:
    """The next version of ``old``'s entry published with ``changes``, ``old`` retired with it (what
    ``catalog.services.publish`` does; the factory's versions lack the repair rules it checks)."""
    CatalogVersion.objects.filter(pk=old.pk).update(state="retired")
    content = {k: v for k, v in catalog_services.version_content(old).items() if k not in ("repair_rules",)}
    published = PublishedVersionFactory(entry=old.entry, number=old.number + 1, **{**content, **changes})
    assert CatalogVersion.objects.get(entry=old.entry, state="published").pk == published.pk
    return published


def test_a_public_record_stays_found_when_its_entry_is_published_again_as_authorized(company: Company) -> None:
    penalty = company.records["penalty"]  # collected public under version 1
    _publish_again(company.versions["penalty"], open_level="authorized")
    assert penalty.pk in _full_adverse_ids(company.subject.uscc)  # the record keeps its own level
    cls = _special(company.subject.uscc)["penalty"]  # anonymous reader
    assert cls["status"] == "found"  # was not_covered: judged by the new version's level
    assert _ids(cls) == [penalty.pk]
    # New records of the entry would be authorised-only: the statement says they are not included.
    assert cls["uncovered_entries"] == ["行政处罚信息（市场监管）"]
    assert cls["statement"].endswith("（不含查询方无权查询的：行政处罚信息（市场监管））")


def test_a_record_is_found_when_its_entry_no_longer_applies_to_the_subject_kind(company: Company) -> None:
    penalty = company.records["penalty"]
    _publish_again(company.versions["penalty"], subject_kinds=["natural_person"])
    cls = _special(company.subject.uscc)["penalty"]
    assert cls["status"] == "found"  # was not_applicable
    assert _ids(cls) == [penalty.pk]


def test_statements_without_records_are_unchanged(company: Company) -> None:
    """Nothing visible found: the catalog decides the statement, as before."""
    today = timezone.localdate()
    version("serious-dishonesty-org", "严重失信主体名单信息（组织）", "adverse", "public")
    version("business-anomaly", "经营异常名录信息", "adverse", "public", subject_kinds=["natural_person"])
    classes = _special(company.subject.uscc)
    assert classes["serious_dishonesty"]["status"] == "none"
    assert classes["serious_dishonesty"]["entries"] == ["严重失信主体名单信息（组织）"]
    assert classes["compulsion"]["status"] == "not_collected"
    assert classes["business_anomaly"]["status"] == "not_applicable"
    assert classes["arrears"]["status"] == "not_covered"  # unpaid fines: government-internal
    assert classes["arrears"]["items"] == []
    # Outside the period: none, though records exist.
    issued = services.issue_special_report(company.subject, reader=PUBLIC, classes="penalty",
                                           date_from=today - timedelta(days=10), date_to=today)
    assert issued.report.special is not None
    assert [c.status for c in issued.report.special.classes] == ["none"]


def test_records_the_reader_may_not_see_stay_out_under_a_retired_entry(company: Company) -> None:
    """The same visibility as the full report: the record's own open level, and disclosure expiry."""
    today = timezone.localdate()
    unpaid = company.records["unpaid"]  # internal
    catalog_services.retire(company.versions["unpaid"], actor="test", reason="条目停用")
    classes = _special(company.subject.uscc)
    assert classes["arrears"]["status"] == "not_collected"  # nothing visible to the public: as before
    assert classes["arrears"]["items"] == []
    own = services.issue_special_report(company.subject, reader=company.own, classes="arrears")
    assert own.report.special is not None
    (arrears,) = own.report.special.classes
    assert (arrears.status, [it.record_id for it in arrears.items]) == ("found", [unpaid.pk])
    # Past its disclosure period: not shown in the full report, not found here either.
    Record.objects.filter(pk=company.records["penalty"].pk).update(disclosure_until=today - timedelta(days=1))
    catalog_services.retire(company.versions["penalty"], actor="test", reason="条目停用")
    assert _special(company.subject.uscc)["penalty"]["status"] == "not_collected"


def _readers(company: Company) -> list[Reader]:
    return [PUBLIC, company.own, company.bank_reader]


def test_every_visible_adverse_record_of_the_period_is_listed_under_its_class(company: Company) -> None:
    """The property itself, per reader: the special report's items are the full report's adverse
    records decided in the period, each under its class, after the catalog has moved on."""
    today = timezone.localdate()
    extra = version("tax-arrears-state", "欠缴税款信息", "adverse", "authorized")
    rf.record(company.subject, extra, decision=today - timedelta(days=30))
    catalog_services.retire(extra, actor="test", reason="条目停用")
    catalog_services.retire(company.versions["defaulter"], actor="test", reason="条目停用")
    _publish_again(company.versions["penalty"], open_level="internal")
    request = queries.special_request(date_from=None, date_to=None, classes=None, today=today)
    for reader in _readers(company):
        full = services.issue_report(company.subject, reader=reader).report
        expected: dict[str, set[int]] = {}
        for section in full.sections:
            for it in section.items:
                if (it.info_class == "adverse" and it.decision_date is not None
                        and request.date_from <= it.decision_date <= request.date_to):
                    expected.setdefault(rules.special_class_of(it.entry_code), set()).add(it.record_id or 0)
        special = services.issue_special_report(company.subject, reader=reader, today=today).report.special
        assert special is not None
        got = {c.code: {it.record_id or 0 for it in c.items} for c in special.classes if c.items}
        assert got == expected, reader
        for c in special.classes:
            assert (c.status == "found") == bool(c.items), (reader, c.code)


def test_class_rules() -> None:
    assert rules.special_class_of("penalty-scjg") == "penalty"
    assert rules.special_class_of("court-defaulter") == "court_defaulter"
    assert rules.special_class_of("unpaid-fines") == "arrears"
    assert rules.special_class_of("environment-violation") == "other_adverse"
    found = {"collected": False, "applicable": False, "covered": False}
    assert rules.class_status(found=True, **found) == "found"
    assert rules.class_status(found=False, collected=False, applicable=False, covered=False) == "not_collected"
    assert rules.class_status(found=False, collected=True, applicable=False, covered=False) == "not_applicable"
    assert rules.class_status(found=False, collected=True, applicable=True, covered=False) == "not_covered"
    assert rules.class_status(found=False, collected=True, applicable=True, covered=True) == "none"
