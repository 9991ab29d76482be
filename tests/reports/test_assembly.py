"""Report assembly (Art. 33, 40): sections per reader, expiry, hooks, query log, query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pubcredit.access.models import QueryLog
from pubcredit.access.readers import PUBLIC
from pubcredit.reports import hooks, queries, rules, services
from pubcredit.reports.models import IssuedReport
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.reports.conftest import Company, version

pytestmark = pytest.mark.django_db


def _codes(report: rules.Report) -> dict[str, list[str]]:
    return {s.key: [it.entry_code for it in s.items] for s in report.sections}


def test_public_reader_gets_public_information_in_sections(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=PUBLIC)
    assert [s.key for s in report.sections] == list(rules.SECTION_TITLES)
    assert _codes(report) == {
        "basic": ["org-registration"], "adverse": ["penalty-scjg"], "trustworthy": [],
        "lists": ["court-defaulter"], "commitments": ["commitment-breach-org"],
        "self_declared": ["market-self-declared"],
    }
    assert report.levels == ("public",)
    assert report.reader.basis == "public"
    assert "社会公开" in report.notes[0]
    assert not QueryLog.objects.exists()  # public reads are not logged


def test_subject_itself_sees_every_level_and_is_not_logged(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=company.own)
    codes = _codes(report)
    assert sorted(codes["adverse"]) == ["penalty-scjg", "unpaid-fines"]
    assert codes["trustworthy"] == ["charitable-donation"]
    assert report.levels == ("public", "authorized", "internal")
    assert report.reader.label == "信用主体本人"
    assert not QueryLog.objects.exists()


def test_authorised_agency_sees_public_and_authorised_and_is_logged_once(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=company.bank_reader)
    codes = _codes(report)
    assert codes["trustworthy"] == ["charitable-donation"]
    assert codes["adverse"] == ["penalty-scjg"]  # internal unpaid fines not included
    assert report.reader.basis == "authorized"
    assert report.reader.name == "杭州测试银行股份有限公司"
    log = QueryLog.objects.get()
    assert log.levels == ["authorized"]
    assert log.entries == ["charitable-donation"]
    assert log.channel == "api"


def test_each_record_shows_department_decision_and_disclosure_dates(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=PUBLIC)
    penalty = next(s for s in report.sections if s.key == "adverse").items[0]
    rec = company.records["penalty"]
    assert penalty.department == company.versions["penalty"].entry.department.name
    assert penalty.decision_date == rec.decision_date
    assert penalty.disclosure_until == rec.disclosure_until
    assert penalty.content()["decision_date"] == rec.decision_date.isoformat()


def test_adverse_information_past_its_disclosure_period_is_left_out(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=company.own)
    ids = {it.record_id for s in report.sections for it in s.items}
    assert company.records["penalty"].pk in ids
    assert company.records["expired"].pk not in ids
    # The day before it ended, it was still disclosed.
    end = company.records["expired"].disclosure_until
    assert end is not None
    earlier = queries.assemble_report(company.subject, reader=company.own, today=end)
    assert company.records["expired"].pk in {it.record_id for s in earlier.sections for it in s.items}


def test_self_declared_information_is_marked(company: Company) -> None:
    report = queries.assemble_report(company.subject, reader=PUBLIC)
    declared = next(s for s in report.sections if s.key == "self_declared").items[0]
    assert declared.marks == ("自主申报",)


def test_objection_hook_marks_records_under_objection(company: Company) -> None:
    target = company.records["penalty"].pk
    with hooks.registered(hooks.MARK_SOURCES, lambda ids: {target: [rules.OBJECTION_MARK]} if target in ids else {}):
        report = queries.assemble_report(company.subject, reader=PUBLIC)
    items = {it.record_id: it for s in report.sections for it in s.items}
    assert items[target].marks == ("异议处理中",)
    assert all(not it.marks for rid, it in items.items() if rid not in (target, company.records["declared"].pk))


def test_concealment_hook_leaves_concealed_good_information_out_and_unlogged(company: Company) -> None:
    donation, penalty = company.records["donation"].pk, company.records["penalty"].pk
    asked: list[list[int]] = []

    def concealed(subject_id: int, ids: Any) -> list[int]:
        asked.append(sorted(ids))
        return [donation, penalty]  # a penalty cannot be concealed: it stays

    with hooks.registered(hooks.CONCEALMENT_SOURCES, concealed):
        report = queries.assemble_report(company.subject, reader=company.bank_reader)
    ids = {it.record_id for s in report.sections for it in s.items}
    assert donation not in ids
    assert penalty in ids
    assert asked == [sorted([donation, company.records["declared"].pk])]  # only concealable records are asked about
    assert QueryLog.objects.get().entries == []  # nothing non-public was handed out


def test_list_and_commitment_hooks_feed_their_sections(company: Company) -> None:
    entry = rules.Item(entry_code="red-list-a", entry_name="守信激励对象名单", info_class="trustworthy",
                       department="杭州市发展和改革委员会", decision_date=None, disclosure_until=None,
                       open_level="public", source="public", origin="list")
    with hooks.registered(hooks.LIST_ENTRY_SOURCES, lambda sid, vis, today: [entry]):
        report = queries.assemble_report(company.subject, reader=PUBLIC)
    assert _codes(report)["lists"] == ["court-defaulter", "red-list-a"]


def test_person_report_masks_identity_for_others_not_for_the_person() -> None:
    person = f.person(name="王小明")
    v = version("penalty-cgj", "行政处罚信息（城市管理）", "adverse", "public")
    rf.record(person, v, decision=timezone.localdate() - timedelta(days=3))
    public = queries.assemble_report(person, reader=PUBLIC)
    assert public.subject.name == "王*明"
    assert "*" in public.subject.code
    from pubcredit.access.readers import Reader

    own = queries.assemble_report(person, reader=Reader(kind="subject", subject_id=person.pk))
    assert own.subject.name == "王小明"
    assert "*" not in own.subject.code


def _queries_for(fn: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_report_assembly_query_count_does_not_grow_with_records(company: Company,
                                                                 django_assert_num_queries: Any) -> None:
    # One statement reads the authorisation, the relations and the records (subjects.queries.profile);
    # an agency's read adds its name and the query log (+ audit row). The catalog versions' field
    # specs are read once per process (the first report may read them).
    for name in ("penalty", "donation"):  # the versions of the records added below are among those read
        rf.record(company.subject, company.versions[name], decision=timezone.localdate() - timedelta(days=9))
    queries.assemble_report(company.subject, reader=PUBLIC)
    queries.assemble_report(company.subject, reader=company.own)
    with django_assert_num_queries(1):
        queries.assemble_report(company.subject, reader=PUBLIC)
    # Reads and writes are prepared statements: the first use on a database session also PREPAREs
    # each, so every measured call runs once before it is counted.
    queries.assemble_report(company.subject, reader=company.bank_reader)
    services.issue_report(company.subject, reader=company.own)
    before_public = _queries_for(lambda: queries.assemble_report(company.subject, reader=PUBLIC))
    before_agency = _queries_for(lambda: queries.assemble_report(company.subject, reader=company.bank_reader))
    before_issue = _queries_for(lambda: services.issue_report(company.subject, reader=company.own))
    for _ in range(25):
        rf.record(company.subject, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=9))
        rf.record(company.subject, company.versions["donation"], decision=timezone.localdate() - timedelta(days=9))
    assert _queries_for(lambda: queries.assemble_report(company.subject, reader=PUBLIC)) == before_public
    assert _queries_for(lambda: queries.assemble_report(company.subject, reader=company.bank_reader)) == before_agency
    assert _queries_for(lambda: services.issue_report(company.subject, reader=company.own)) == before_issue


def test_same_content_is_the_same_issued_report_and_new_content_a_new_one(company: Company) -> None:
    first = services.issue_report(company.subject, reader=PUBLIC)
    again = services.issue_report(company.subject, reader=PUBLIC)
    assert again.row.pk == first.row.pk
    assert again.code == first.code
    by_bank = services.issue_report(company.subject, reader=company.bank_reader)
    assert by_bank.row.pk != first.row.pk  # other content (authorised level, other reader basis)
    rf.record(company.subject, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=1))
    changed = services.issue_report(company.subject, reader=PUBLIC)
    assert changed.row.pk != first.row.pk
    assert IssuedReport.objects.count() == 3
    assert QueryLog.objects.count() == 1  # the bank's read; each non-public read is logged once


def test_reissuing_the_same_content_signs_and_audits_it_once(company: Company) -> None:
    from pubcredit.audit.models import AuditEntry

    first = services.issue_report(company.subject, reader=PUBLIC)
    again = services.issue_report(company.subject, reader=PUBLIC)
    assert (again.row.pk, again.row.signature, again.row.issued_at) == (first.row.pk, first.row.signature,
                                                                          first.row.issued_at)
    assert AuditEntry.objects.filter(event="reports:report:issued").count() == 1
    assert again.canonical == rules.canonical_json(again.content).encode("utf-8")
    assert rules.digest_of(again.canonical) == first.row.content_digest


def test_field_specs_of_a_published_version_are_decoded_once_and_of_a_draft_every_time(
        company: Company, django_assert_num_queries: Any) -> None:
    from pubcredit.catalog.models import CatalogVersion, VersionState
    from pubcredit.collection import queries as record_queries

    published = company.versions["penalty"]
    assert published.state == VersionState.PUBLISHED
    record_queries.field_specs([published.pk])
    with django_assert_num_queries(0):
        kept = record_queries.field_specs([published.pk])[published.pk]
    assert [f.name for f in kept] == [s["name"] for s in published.fields]
    # A draft's fields may still change (catalog.services.update_draft): read again each time.
    draft = company.versions["donation"]
    CatalogVersion.objects.filter(pk=draft.pk).update(state=VersionState.DRAFT)
    record_queries._FIELD_SPECS.pop(draft.pk, None)
    record_queries.field_specs([draft.pk])
    relabelled = [{**s, "label": "改后的" + s.get("label", s["name"])} for s in draft.fields]
    CatalogVersion.objects.filter(pk=draft.pk).update(fields=relabelled)
    with django_assert_num_queries(1):
        fresh = record_queries.field_specs([draft.pk])[draft.pk]
    assert [f.label for f in fresh] == [s["label"] for s in relabelled]


def test_an_authorised_read_is_logged_and_issued_with_both_audit_entries_together(company: Company) -> None:
    from pubcredit.audit.models import AuditEntry

    issued = services.issue_report(company.subject, reader=company.bank_reader)
    log = QueryLog.objects.get()
    assert (log.subject_id, log.agency_id, log.levels, log.channel) == (company.subject.pk, company.bank.pk,
                                                                        ["authorized"], "api")
    read = AuditEntry.objects.get(event="access:query")
    assert (read.object_type, read.object_id, read.subject_id) == ("query_log", str(log.pk), company.subject.pk)
    assert read.data["levels"] == ["authorized"]
    assert read.data["authorization"] == log.authorization_id is not None
    made = AuditEntry.objects.get(event="reports:report:issued")
    assert (made.object_id, made.data["digest"]) == (issued.row.code, issued.row.content_digest)
    assert read.pk < made.pk  # the log's order is the order of events: the read, then the report issued for it
    # The same content read again: logged again (a read), not issued or signed again.
    again = services.issue_report(company.subject, reader=company.bank_reader)
    assert again.row.pk == issued.row.pk
    assert QueryLog.objects.count() == 2
    assert AuditEntry.objects.filter(event="access:query").count() == 2
    assert AuditEntry.objects.filter(event="reports:report:issued").count() == 1


@pytest.mark.django_db(transaction=True)  # autocommit, as a request runs: no test transaction to hide a partial write
def test_a_failed_issue_leaves_neither_the_query_log_nor_the_report(company: Company,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import DataError

    from pubcredit.audit.models import AuditEntry

    # The issued row fails in PostgreSQL (its code is too long) after the query-log row was inserted.
    monkeypatch.setattr(rules, "new_verification_code", lambda: "X" * 20)
    with pytest.raises(DataError):
        services.issue_report(company.subject, reader=company.bank_reader)
    assert not QueryLog.objects.exists()
    assert not IssuedReport.objects.exists()
    assert not AuditEntry.objects.filter(event__in=["access:query", "reports:report:issued"]).exists()
