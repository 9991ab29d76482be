"""Batch queries (Art. 40): lifecycle, per-line errors, per-requester visibility and query log, owner-only
access, limits, output formats, and equality with the single report for the same subjects."""

from __future__ import annotations

import csv
import io
import json
import random
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pubcredit.access import services as access_services
from pubcredit.access import tokens
from pubcredit.access.models import QueryLog
from pubcredit.codes import pii as pii_codes
from pubcredit.collection.models import Record
from pubcredit.reports import batch, hooks, rules
from pubcredit.reports import queries as report_queries
from pubcredit.reports.models import BatchQuery, BatchQueryChunk
from pubcredit.subjects import pii
from pubcredit.subjects import services as subject_services
from pubcredit.subjects.models import Subject
from tests.access.test_access_matrix import MATRIX, World, world  # noqa: F401 - `world` is a fixture
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.factories.catalog import DepartmentFactory
from tests.factories.tasks import run_worker
from tests.reports.conftest import Company, version

pytestmark = pytest.mark.django_db

URL = "/api/v1/batch-queries"


# --- helpers ---------------------------------------------------------------------------------


def agency_token(agency: Subject) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_agency_token(agency, name='测试', actor='test').secret}"}


def department_token(dept: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_department_token(dept, name='业务系统', actor='test').secret}"}


def post(headers: dict[str, str], codes: list[str] | None = None, *, params: dict[str, str] | None = None,
         body: Any = None, content_type: str = "application/json") -> Any:
    url = URL + (f"?{urlencode(params)}" if params else "")
    data = body if body is not None else json.dumps({"codes": codes or []})
    return Client().post(url, data=data, content_type=content_type, headers=headers)


def status_of(job_id: str, headers: dict[str, str]) -> Any:
    return Client().get(f"{URL}/{job_id}", headers=headers)


def results(job_id: str, headers: dict[str, str], fmt: str = "jsonl") -> Any:
    return Client().get(f"{URL}/{job_id}/results", {"format": fmt}, headers=headers)


def jsonl(job_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    res = results(job_id, headers)
    assert res.status_code == 200, res.content
    assert res["Content-Type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in b"".join(res.streaming_content).decode("utf-8").splitlines()]


def query(headers: dict[str, str], codes: list[str], params: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Post, run the worker, return the result lines."""
    res = post(headers, codes, params=params)
    assert res.status_code == 202, res.content
    run_worker()
    job = res.json()["id"]
    assert status_of(job, headers).json()["status"] == "done"
    return jsonl(job, headers)


def entry_codes(line: dict[str, Any]) -> set[str]:
    return {it["entry_code"] for s in line["sections"] for it in s["items"]}


# --- lifecycle -------------------------------------------------------------------------------

def test_job_goes_queued_running_done_with_the_worker(company: Company) -> None:
    headers = agency_token(company.bank)
    res = post(headers, [company.subject.uscc or ""])
    assert res.status_code == 202
    body = res.json()
    assert body["status"] == "queued"
    assert body["progress"] == {"done": 0, "total": 1}
    assert body["results"] is None
    job = BatchQuery.objects.get(public_id=body["id"])
    assert DBTaskResult.objects.filter(args_kwargs__args=[job.pk, 0]).count() == 1  # enqueued with the job
    assert status_of(body["id"], headers).json()["status"] == "queued"

    seen: list[str] = []

    def spy(ids: Any) -> dict[int, list[str]]:  # called while the chunk is being answered
        seen.append(BatchQuery.objects.get(pk=job.pk).status)
        return {}

    with hooks.registered(hooks.MARK_SOURCES, spy):
        assert run_worker() == 1
    assert seen == ["running"]
    done = status_of(body["id"], headers).json()
    assert done["status"] == "done"
    assert done["progress"] == {"done": 1, "total": 1}
    assert done["counts"] == {"found": 1, "not_found": 0, "invalid": 0, "duplicates": 0}
    assert done["as_of"] == timezone.localdate().isoformat()
    assert done["started_at"]
    assert done["finished_at"]
    assert done["results"]["csv"].endswith(f"/batch-queries/{body['id']}/results?format=csv")
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    from pubcredit.audit.models import AuditEntry

    events = list(AuditEntry.objects.filter(object_type="batch_query").order_by("id").values_list("event", "channel"))
    assert events == [("reports:batch_query:submitted", "api"), ("reports:batch_query:completed", "task")]


def test_results_before_done_are_a_conflict(company: Company) -> None:
    headers = agency_token(company.bank)
    job = post(headers, [company.subject.uscc or ""]).json()["id"]
    res = results(job, headers)
    assert res.status_code == 409
    assert res.json()["code"] == "conflict"


def test_a_failing_part_fails_the_job_not_the_server(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = agency_token(company.bank)
    job = post(headers, [company.subject.uscc or ""]).json()["id"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(report_queries, "assemble_reports", broken)
    run_worker()
    body = status_of(job, headers).json()
    assert body["status"] == "failed"
    assert body["error"] == "处理失败（RuntimeError），请重新提交"  # the kind, not the details
    from pubcredit.audit.models import AuditEntry

    (entry,) = AuditEntry.objects.filter(event="reports:batch_query:failed", object_id=job)  # audited (Art. 39)
    assert entry.data["error"] == "RuntimeError"
    assert not QueryLog.objects.exists()  # the chunk's reads rolled back with it
    assert DBTaskResult.objects.get().status == "FAILED"


def test_parts_run_separately_and_results_keep_input_order(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "PART_SIZE", 4)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 2)
    others = [f.org(name=f"杭州分段测试{i}有限公司") for i in range(5)]
    codes = [o.uscc or "" for o in others] + ["bad", company.subject.uscc or "", f.uscc(), "also bad"]
    headers = agency_token(company.bank)
    res = post(headers, codes)
    job = BatchQuery.objects.get(public_id=res.json()["id"])
    assert job.parts_total == 3
    assert run_worker() == 3
    assert BatchQueryChunk.objects.filter(job=job).count() == 5
    lines = jsonl(str(job.public_id), headers)
    assert [line["line"] for line in lines] == list(range(1, 10))
    assert [line["status"] for line in lines] == ["found"] * 5 + ["invalid", "found", "not_found", "invalid"]


def test_a_part_run_twice_neither_repeats_reads_nor_ends_the_job_early(company: Company,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "PART_SIZE", 2)
    monkeypatch.setattr(batch, "CHUNK_SIZE", 1)
    headers = agency_token(company.bank)
    others = [f.org(name=f"杭州重跑测试{i}有限公司") for i in range(3)]
    job = BatchQuery.objects.get(public_id=post(headers, [company.subject.uscc or ""] + [o.uscc or "" for o in others])
                                 .json()["id"])
    batch.run_part(job.pk, 0)
    batch.run_part(job.pk, 0)  # e.g. enqueued again by an operator after a crash
    job.refresh_from_db()
    assert (job.status, job.done, job.found) == ("running", 2, 2)
    assert QueryLog.objects.count() == 1  # the authorised read of the company, once
    batch.run_part(job.pk, 1)
    job.refresh_from_db()
    assert (job.status, job.done, job.found) == ("done", 4, 4)


# --- per-line answers ------------------------------------------------------------------------

def test_bad_unknown_and_repeated_codes_are_per_line_answers(company: Company) -> None:
    known = company.subject.uscc or ""
    bad_check = known[:-1] + ("0" if known[-1] != "0" else "1")
    unknown_org, unknown_person = f.uscc(), f.resident_id()
    codes = [known, "12345", "", bad_check, unknown_org, unknown_person, f" {known.lower()} ", "110101199013", "12345",
             "x" * 1000]
    lines = query(agency_token(company.bank), codes)
    by_line = {line["line"]: line for line in lines}
    assert sorted(by_line) == list(range(1, 11))
    assert by_line[1]["status"] == "found"
    assert by_line[1]["subject"]["code"] == known
    for n in (2, 3, 4, 8, 9, 10):  # a repeated invalid code is invalid again, with its reason
        assert by_line[n]["status"] == "invalid"
        assert by_line[n]["code"] == codes[n - 1][:64] + ("…" if n == 10 else "")  # as given (up to 64 characters)
        assert by_line[n]["field"] == "code"
    assert by_line[2]["reason"].startswith("统一社会信用代码无效")
    assert by_line[3]["reason"] == "请输入统一社会信用代码或身份证号码"
    assert by_line[4]["reason"].startswith("统一社会信用代码无效")
    assert by_line[5] == {"line": 5, "code": unknown_org, "status": "not_found", "reason": batch.NOT_FOUND_REASON}
    assert by_line[6]["status"] == "not_found"
    assert by_line[7] == {"line": 7, "code": codes[6], "status": "duplicate", "reason": "与第 1 行重复"}
    job = BatchQuery.objects.get()
    assert (job.found, job.not_found, job.invalid, job.duplicates, job.done, job.total) == (1, 2, 6, 1, 10, 10)
    assert job.status == "done"


def test_text_csv_upload_keeps_line_numbers(company: Company) -> None:
    known = company.subject.uscc or ""
    body = f"统一社会信用代码\r\n{known},备注\r\n\r\n\"x-1\"\r\n{f.uscc()}\r\n".encode()
    headers = agency_token(company.bank)
    res = post(headers, body=body, content_type="text/csv", params={"format": "csv"})
    assert res.status_code == 202, res.content
    assert res.json()["progress"]["total"] == 3
    assert res.json()["format"] == "csv"
    run_worker()
    lines = jsonl(res.json()["id"], headers)
    assert [(line["line"], line["status"]) for line in lines] == [(2, "found"), (4, "invalid"), (5, "not_found")]
    assert lines[1]["code"] == "x-1"


def test_gb18030_upload_is_read() -> None:
    agency = f.org(name="杭州编码测试有限公司")
    target = f.org(name="杭州被查询有限公司")
    body = f"代码\n{target.uscc}\n".encode("gb18030")
    res = post(agency_token(agency), body=body, content_type="text/plain")
    assert res.status_code == 202
    assert res.json()["progress"]["total"] == 1


# --- visibility and the query log ------------------------------------------------------------

def test_each_requester_sees_only_what_it_may_and_each_non_public_read_is_logged(company: Company) -> None:
    other = f.org(name="杭州未授权有限公司")  # did not authorise the bank
    rf.record(other, company.versions["donation"], decision=timezone.localdate() - timedelta(days=5))
    rf.record(other, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=5))
    codes = [company.subject.uscc or "", other.uscc or ""]

    public_agency = f.org(name="杭州无授权征信有限公司")
    lines = query(agency_token(public_agency), codes)
    assert [line["levels"] for line in lines] == [["public"], ["public"]]
    assert "charitable-donation" not in entry_codes(lines[0]) | entry_codes(lines[1])
    assert not QueryLog.objects.exists()  # public reads are not logged

    lines = query(agency_token(company.bank), codes)
    mine, theirs = lines
    assert mine["reader"]["basis"] == "authorized"
    assert mine["levels"] == ["public", "authorized"]
    assert "charitable-donation" in entry_codes(mine)  # authorised level, from the subject that authorised
    assert "unpaid-fines" not in entry_codes(mine)  # internal: never for an agency
    assert theirs["reader"]["basis"] == "public"
    assert entry_codes(theirs) == {"penalty-scjg"}
    log = QueryLog.objects.get()  # one read beyond public: one row, for that subject only
    assert log.subject_id == company.subject.pk
    assert log.agency_id == company.bank.pk
    assert log.channel == "batch"
    assert log.levels == ["authorized"]
    assert log.entries == ["charitable-donation"]
    assert log.authorization_id is not None


def test_department_token_reads_what_its_matter_lists(company: Company) -> None:
    dept = DepartmentFactory()
    access_services.define_matter(department=dept, code="zf-caigou", name="政府采购供应商审查", actor="test",
                                  legal_basis="《政府采购法》", entries=[company.versions["unpaid"].entry])
    headers = department_token(dept)
    params = {"matter": "zf-caigou", "purpose": "供应商资格审查"}
    [line] = query(headers, [company.subject.uscc or ""], params)
    assert "unpaid-fines" in entry_codes(line)
    assert "charitable-donation" not in entry_codes(line)
    assert line["reader"]["basis"] == "government"
    log = QueryLog.objects.get()
    assert (log.department_id, log.purpose, log.channel) == (dept.pk, "供应商资格审查", "batch")
    # a matter without a purpose is refused before anything is queued
    res = post(headers, [company.subject.uscc or ""], params={"matter": "zf-caigou"})
    assert res.status_code == 400
    assert res.json()["field"] == "purpose"
    assert BatchQuery.objects.count() == 1


def _batch_path(client: Client, code: str, headers: dict[str, str], params: dict[str, str]) -> tuple[int, set[str]]:
    res = post(headers, [code], params=params)
    if res.status_code != 202:
        return res.status_code, set()
    run_worker()
    [line] = jsonl(res.json()["id"], headers)
    return 200, entry_codes(line)


@pytest.mark.parametrize("case", list(MATRIX), ids=lambda c: c.__name__.removeprefix("case_"))
def test_batch_is_a_read_path_of_the_access_matrix(world: World, case: Callable[[World], Any]) -> None:  # noqa: F811
    """Every case of tests/access/test_access_matrix.py, through the batch: token readers see exactly
    their levels (and are logged once, channel ``batch``); session readers may not use it."""
    expected, logged = MATRIX[case]
    client, headers, params = case(world)
    status, seen = _batch_path(client, world.company.uscc or "", headers, params)
    if "Authorization" not in headers:
        assert status == 403
        return
    if isinstance(expected, int):
        assert status == expected
        return
    assert status == 200
    assert seen == {world.codes[lv] for lv in expected}
    rows = QueryLog.objects.filter(subject=world.company)
    assert rows.exists() is logged
    if logged:
        row = rows.get()
        assert set(row.levels) == expected - {"public"}
        assert row.channel == "batch"


# --- access to the job -----------------------------------------------------------------------

def test_only_the_owner_may_read_the_job(company: Company) -> None:
    headers = agency_token(company.bank)
    job = post(headers, [company.subject.uscc or ""]).json()["id"]
    run_worker()
    same_org = agency_token(company.bank)  # another token of the same agency: its job
    assert status_of(job, same_org).status_code == 200
    stranger = agency_token(f.org(name="杭州别家征信有限公司"))
    dept = department_token(DepartmentFactory())
    for other in (stranger, dept):
        assert status_of(job, other).status_code == 404
        assert results(job, other).status_code == 404
    assert status_of(job, {}).status_code == 403
    assert status_of("not-a-uuid", headers).status_code == 404
    assert status_of("00000000-0000-4000-8000-000000000000", headers).status_code == 404


def test_only_tokens_may_post(company: Company) -> None:
    from tests.access.helpers import make_user

    client = Client()
    client.force_login(make_user("agency"))
    res = client.post(URL, data=json.dumps({"codes": [company.subject.uscc]}), content_type="application/json")
    assert res.status_code == 403
    assert post({}, [company.subject.uscc or ""]).status_code == 403
    assert post({"Authorization": "Bearer pct_nope"}, [company.subject.uscc or ""]).status_code == 403
    assert not BatchQuery.objects.exists()


def test_agency_tokens_are_for_organisations_only() -> None:
    from pubcredit.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        tokens.create_agency_token(f.person(), name="x", actor="test")
    assert exc.value.field == "agency"
    with pytest.raises(InvalidInput):
        tokens.create_agency_token(f.org(name="杭州令牌测试有限公司"), name="  ", actor="test")


# --- limits ----------------------------------------------------------------------------------

def test_more_than_100000_codes_is_refused_naming_the_field(company: Company) -> None:
    headers = agency_token(company.bank)
    res = post(headers, ["91330106MA2X000000"] * (batch.MAX_CODES + 1))
    assert res.status_code == 400
    assert res.json()["field"] == "codes"
    assert "100000" in res.json()["message"]
    assert not BatchQuery.objects.exists()


@pytest.mark.parametrize(("body", "content_type", "field"), [
    (json.dumps({"codes": []}), "application/json", "codes"),
    (json.dumps({"codes": "913301"}), "application/json", "codes"),
    (json.dumps({"codes": [913301]}), "application/json", "codes"),
    (json.dumps(["913301"]), "application/json", "codes"),
    ("{not json", "application/json", "codes"),
    (json.dumps({"codes": ["x"], "format": "xml"}), "application/json", "format"),
    # found by the API fuzzing: an empty or null format was taken silently as the default
    (json.dumps({"codes": ["x"], "format": ""}), "application/json", "format"),
    (json.dumps({"codes": ["x"], "format": None}), "application/json", "format"),
    ("\n\n", "text/csv", "codes"),
    ("<codes/>", "application/xml", "content-type"),
])
def test_malformed_requests_are_400_naming_the_field(company: Company, body: str, content_type: str,
                                                     field: str) -> None:
    res = post(agency_token(company.bank), body=body, content_type=content_type)
    assert res.status_code == 400
    assert res.json()["field"] == field
    assert not BatchQuery.objects.exists()


def test_100000_codes_are_accepted() -> None:
    agency = f.org(name="杭州大批量征信有限公司")
    body = json.dumps({"codes": [f"   9133010{i:011d}   " for i in range(batch.MAX_CODES)]})
    assert len(body) > 2.5 * 1024 * 1024  # more than Django's default limit for a request body read in memory
    res = post(agency_token(agency), body=body)
    assert res.status_code == 202
    assert res.json()["progress"]["total"] == batch.MAX_CODES
    assert BatchQuery.objects.get().parts_total == batch.MAX_CODES // batch.PART_SIZE


# --- output formats --------------------------------------------------------------------------

def test_jsonl_and_csv_results_parse(company: Company) -> None:
    headers = agency_token(company.bank)
    empty = f.org(name="杭州无记录有限公司")
    codes = [company.subject.uscc or "", "bad", empty.uscc or "", f.uscc()]
    res = post(headers, codes)
    job = res.json()["id"]
    run_worker()
    lines = jsonl(job, headers)
    assert [line["status"] for line in lines] == ["found", "invalid", "found", "not_found"]

    res = results(job, headers, "csv")
    assert res.status_code == 200
    assert res["Content-Type"].startswith("text/csv")
    assert res["Content-Disposition"].endswith(f'batch-query-{job}.csv"')
    raw = b"".join(res.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == list(batch.CSV_COLUMNS)
    items = [it for s in lines[0]["sections"] for it in s["items"]]
    mine = [r for r in rows if r["line"] == "1"]
    assert len(mine) == len(items)
    assert {r["entry_code"] for r in mine} == {it["entry_code"] for it in items}
    assert all(r["subject_name"] == "杭州报告测试有限公司" and r["reader_basis"] == "authorized" for r in mine)
    donation = next(r for r in mine if r["entry_code"] == "charitable-donation")
    assert donation["section"] == "trustworthy"
    assert donation["levels"] == "public|authorized"
    assert json.loads(donation["fields"]) == {f["name"]: f["value"] for it in items
                                              if it["entry_code"] == "charitable-donation" for f in it["fields"]}
    declared = next(r for r in mine if r["entry_code"] == "market-self-declared")
    assert declared["marks"] == "自主申报"
    assert [(r["line"], r["status"], r["entry_code"]) for r in rows if r["line"] != "1"] == [
        ("2", "invalid", ""), ("3", "found", ""), ("4", "not_found", "")]
    assert next(r for r in rows if r["line"] == "2")["reason"].startswith("统一社会信用代码无效")
    assert results(job, headers, "pdf").status_code == 400


# --- the same as the single report -----------------------------------------------------------

def _random_city(rng: random.Random, company: Company) -> tuple[list[str], Subject]:
    """A few organisations and persons with random records (every level, class, some expired, some
    undated, some naming a person's ID number), relations, and authorisations to the bank."""
    today = timezone.localdate()
    versions = [*company.versions.values(),
                version("penalty-cgj", "行政处罚信息（城市管理）", "adverse", "authorized"),
                version("tax-credit-a", "纳税信用A级", "trustworthy", "public", disclosure_months=None)]
    orgs = [f.org(name=f"杭州性质测试{i}有限公司") for i in range(6)]
    people: list[tuple[Subject, str]] = []
    for i in range(3):
        rid = f.resident_id(birth=today.replace(year=1980 + i) - timedelta(days=i))
        people.append((f.person(name=f"测试人{'甲乙丙'[i]}", code=rid), rid))
    for org in orgs:
        for role in rng.sample(["legal_rep", "director", "supervisor"], rng.randint(0, 2)):
            subject_services.relate(organization=org, related=rng.choice(people)[0], role=role, actor="test")
    subjects = orgs + [p for p, _ in people] + [company.subject]
    for subject in subjects:
        for _ in range(rng.randint(0, 7)):
            v = rng.choice(versions)
            data = {"CF_WSH": f"杭测〔{rng.randint(1, 10**6)}〕号", "CF_SY": rng.choice(["事实甲", "事实乙", ""]),
                    "CF_JDRQ": "2025-01-01"}
            if rng.random() < 0.4:
                data["CF_FR_ZJHM"] = rng.choice(people)[1]
            rec = rf.record(subject, v, decision=today - timedelta(days=rng.randint(0, 1500)), data=data)
            if rng.random() < 0.1:
                Record.objects.filter(pk=rec.pk).update(decision_date=None)
    for subject in rng.sample(subjects[:-1], 5):
        access_services.grant_authorization(subject=subject, grantee=company.bank, purpose="授信审查",
                                            valid_from=today, valid_until=today + timedelta(days=9), actor="test")
    codes = [o.uscc or "" for o in orgs] + [rid for _, rid in people] + [company.subject.uscc or ""]
    return codes, orgs[0]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("reader", ["public_agency", "authorised_agency", "department_matter"])
def test_batch_answers_equal_the_single_json_report(company: Company, seed: int, reader: str) -> None:
    """Property: for random subjects, each batch line is the single report's content (subject, reader
    basis, levels, sections) for the same requester, and the batch wrote the same query-log rows
    as the single reads (but for the channel)."""
    rng = random.Random(seed)
    codes, _ = _random_city(rng, company)
    params: dict[str, str] = {}
    if reader == "public_agency":
        headers = agency_token(f.org(name="杭州公开征信有限公司"))
    elif reader == "authorised_agency":
        headers = agency_token(company.bank)
    else:
        dept = DepartmentFactory()
        access_services.define_matter(
            department=dept, code="xk-shencha", name="行政许可审查", legal_basis="《行政许可法》", actor="test",
            entries=[company.versions[k].entry for k in ("unpaid", "donation")])
        headers = department_token(dept)
        params = {"matter": "xk-shencha", "purpose": "行政许可审查"}
    target = company.records["penalty"].pk
    chosen = rng.sample(codes, 8)
    marks = hooks.registered(hooks.MARK_SOURCES, lambda ids: {target: [rules.OBJECTION_MARK]} if target in ids else {})
    concealed = hooks.registered(hooks.CONCEALMENT_SOURCES, lambda sid, ids: [i for i in ids if i % 2 == 0])
    with marks, concealed:
        lines = query(headers, chosen, params)
        batch_logs = _log_rows("batch")
        client = Client()
        for line in lines:
            assert line["status"] == "found"
            single = client.get(f"/api/v1/subjects/{line['code']}/report", params, headers=headers)
            assert single.status_code == 200
            content = single.json()["content"]
            for key in ("as_of", "subject", "reader", "levels", "sections"):
                assert line[key] == content[key], key
    assert batch_logs == _log_rows("api")
    assert bool(batch_logs) is (reader != "public_agency")  # 8 of 10 subjects: some authorised the bank


@pytest.mark.parametrize("seed", [4, 5])
def test_chunked_profiles_equal_single_profiles(company: Company, seed: int) -> None:
    """``subjects.queries.profiles`` (the batch's read) gives each subject what ``profile`` gives: the
    same records in the same order (undated first, newest first), relations, identity and basis —
    for the public, for an authorised agency, and for each subject reading itself (full identity)."""
    from pubcredit.access.readers import PUBLIC, Reader
    from pubcredit.subjects import queries as subject_queries

    rng = random.Random(seed)
    codes, _ = _random_city(rng, company)
    subjects = [subject_queries.subject_by_code(c) for c in codes]
    today = timezone.localdate()
    readers = [PUBLIC, company.bank_reader] + [Reader(kind="subject", subject_id=s.pk) for s in subjects[:3]]
    for reader in readers:
        many = subject_queries.profiles(subjects, reader=reader, today=today)
        for subject in subjects:
            assert many[subject.pk] == subject_queries.profile(subject, reader=reader, today=today)


def _log_rows(channel: str) -> list[tuple[Any, ...]]:
    return sorted(QueryLog.objects.filter(channel=channel).values_list(
        "subject_id", "reader_kind", "reader_name", "levels", "entries", "purpose", "agency_id", "department_id",
        "matter_id", "authorization_id"))


# --- cost ------------------------------------------------------------------------------------

def test_a_chunk_costs_the_same_queries_for_5_or_50_subjects(company: Company) -> None:
    """Look-ups are batched: the number of queries per chunk does not grow with its subjects
    (public reads: nothing to log)."""
    agency = f.org(name="杭州计数征信有限公司")
    headers = agency_token(agency)
    orgs = [f.org(name=f"杭州计数测试{i}有限公司") for i in range(50)]
    for org in orgs:
        rf.record(org, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=3))
        rf.record(org, company.versions["basic"], decision=timezone.localdate() - timedelta(days=3))

    def cost(n: int) -> int:
        job = post(headers, [o.uscc or "" for o in orgs[:n]] + [f.uscc(), "bad"]).json()["id"]
        with CaptureQueriesContext(connection) as ctx:
            run_worker()
        assert status_of(job, headers).json()["counts"]["found"] == n
        return len(ctx.captured_queries)

    assert cost(5) == cost(50)


# --- the single report's JSON (rendered without re-validation since the load benchmark) ------

@pytest.mark.parametrize("path", ["report", "special-report"])
def test_report_json_still_matches_its_schema(company: Company, path: str) -> None:
    from pubcredit.reports.schemas import ReportOut

    target = company.records["penalty"].pk
    with hooks.registered(hooks.MARK_SOURCES, lambda ids: {target: [rules.OBJECTION_MARK]} if target in ids else {}):
        res = Client().get(f"/api/v1/subjects/{company.subject.uscc}/{path}", headers=agency_token(company.bank))
    assert res.status_code == 200
    assert res["Content-Type"] == "application/json; charset=utf-8"
    body = res.json()
    parsed = ReportOut.model_validate(body)
    assert json.loads(parsed.model_dump_json(by_alias=True)) == body  # nothing missing, nothing extra
    assert rules.content_digest(body["content"]) == body["verification"]["digest"]


# --- the worker process ----------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_the_background_worker_runs_committed_jobs(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``pubcredit serve`` starts beside the server: ``pubcredit worker`` in child processes."""
    import time

    from pubcredit.cli.worker import start_background_worker

    db = connection.settings_dict
    monkeypatch.setenv("DATABASE_URL", f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
                                       f"{db['NAME']}")
    agency = f.org(name="杭州进程测试征信有限公司")
    target = f.org(name="杭州进程测试目标有限公司")
    headers = agency_token(agency)
    job = post(headers, [target.uscc or "", "bad"]).json()["id"]
    child = start_background_worker(processes=2)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and status_of(job, headers).json()["status"] != "done":
            time.sleep(0.2)
        assert child.process.poll() is None
    finally:
        child.stop()
    assert status_of(job, headers).json()["counts"] == {"found": 1, "not_found": 0, "invalid": 1, "duplicates": 0}
    assert [line["status"] for line in jsonl(job, headers)] == ["found", "invalid"]


def test_worker_command_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from pubcredit.cli import main

    assert main(["worker", "--processes", "0"]) == 2
    assert capsys.readouterr().err.startswith("pubcredit: error: --processes")


def test_a_code_with_a_nul_character_is_an_invalid_line_not_a_failed_job(company: Company) -> None:
    # PostgreSQL cannot store U+0000 in text or jsonb; the job keeps the codes and the answers.
    known = company.subject.uscc or ""
    lines = query(agency_token(company.bank), [known, known[:5] + "\x00" + known[6:], "\x00"])
    by_line = {line["line"]: line for line in lines}
    assert by_line[1]["status"] == "found"
    assert by_line[2]["status"] == "invalid"
    assert by_line[3]["status"] == "invalid"
    assert BatchQuery.objects.get().status == "done"


def test_a_body_nested_too_deeply_is_400_naming_the_codes(company: Company) -> None:
    """Python's JSON parser raises RecursionError (not a decoding error) past ~1,000 levels: it was a 500."""
    res = post(agency_token(company.bank), body='{"codes": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "codes"
    assert "嵌套层数过多" in res.json()["message"]


def test_a_body_with_nan_is_400_naming_the_codes(company: Company) -> None:
    res = post(agency_token(company.bank), body='{"codes": [NaN]}')
    assert res.status_code == 400, res.content
    assert res.json()["field"] == "codes"


# --- personal information at rest ------------------------------------------------------------

def test_codes_and_results_are_encrypted_at_rest(company: Company) -> None:
    """A batch names people by resident ID number: neither the stored codes nor the stored answers
    hold one in clear (nor compressed), and a blob of one purpose does not open as the other's."""
    resident = f.resident_id()
    f.person("李四", code=resident)
    headers = agency_token(company.bank)
    lines = query(headers, [resident, company.subject.uscc or "", "not-a-code"])
    assert [line["code"] for line in lines] == [resident, company.subject.uscc, "not-a-code"]  # the owner reads them
    job = BatchQuery.objects.get()
    sealed = bytes(job.codes_sealed)
    stored = [bytes(d) for d in BatchQueryChunk.objects.filter(job=job).values_list("data", flat=True)]
    for blob in (sealed, *stored):
        assert resident.encode() not in blob
        assert company.subject.uscc.encode() not in blob
        with pytest.raises(zlib.error):
            zlib.decompress(blob)  # not merely compressed
    assert batch.codes_of(sealed) == [resident, company.subject.uscc, "not-a-code"]
    with pytest.raises(pii_codes.PiiDecryptError):
        pii.unseal(sealed, purpose=batch.RESULTS_PURPOSE)
    with connection.cursor() as cursor:  # the job's row as a database dump would show it
        cursor.execute("SELECT row_to_json(j)::text FROM reports_batchquery j WHERE id = %s", [job.pk])
        assert resident not in cursor.fetchone()[0]


# --- keeping period ---------------------------------------------------------------------------

def test_answers_are_deleted_after_their_keeping_period_and_the_download_says_so(company: Company,
                                                                                 settings: Any) -> None:
    from pubcredit.audit.models import AuditEntry
    from pubcredit.reports import services

    headers = agency_token(company.bank)
    res = post(headers, [company.subject.uscc or "", "not-a-code"])
    run_worker()
    job_id = res.json()["id"]
    job = BatchQuery.objects.get(public_id=job_id)
    assert job.finished_at is not None
    shown = status_of(job_id, headers).json()
    assert shown["results_kept_until"] is not None
    kept_until = datetime.fromisoformat(shown["results_kept_until"])
    assert abs(kept_until - (job.finished_at + timedelta(days=30))) < timedelta(milliseconds=1)  # JSON: ms
    assert shown["results_deleted_at"] is None
    logged = QueryLog.objects.count()
    assert logged == 1  # the bank's authorised read

    assert services.housekeeping(now=job.finished_at + timedelta(days=29)).batch_jobs == 0
    assert results(job_id, headers).status_code == 200

    later = job.finished_at + timedelta(days=30, seconds=1)
    assert services.housekeeping(now=later).batch_jobs == 1
    assert not BatchQueryChunk.objects.filter(job=job).exists()
    shown = status_of(job_id, headers).json()
    assert (shown["status"], shown["results"], shown["results_kept_until"]) == ("done", None, None)
    assert abs(datetime.fromisoformat(shown["results_deleted_at"]) - later) < timedelta(milliseconds=1)
    assert shown["counts"]["found"] == 1  # the job itself stays
    gone = results(job_id, headers)
    assert gone.status_code == 410
    assert gone.json()["code"] == "gone"
    assert "已超过保存期限（完成后 30 天）" in gone.json()["message"]
    assert QueryLog.objects.count() == logged  # reads logged stay (ten years)
    entry = AuditEntry.objects.get(event="reports:batch_query:results_deleted")
    assert (entry.object_id, entry.data["keep_days"], entry.data["chunks"]) == (job_id, 30, 1)
    assert services.housekeeping(now=later + timedelta(hours=1)).batch_jobs == 0  # once

    settings.PUBCREDIT_BATCH_RESULTS_DAYS = 7
    second = post(headers, [company.subject.uscc or ""]).json()["id"]
    run_worker()
    done_at = BatchQuery.objects.get(public_id=second).finished_at
    assert services.housekeeping(now=done_at + timedelta(days=7, seconds=1)).batch_jobs == 1
