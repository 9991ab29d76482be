"""Batch queries (Art. 40): a credit agency or a department posts up to 100 000 codes and gets, in the
background, one answer per code — each holding only what that requester may see of that subject.

- **Submission** (``submit_batch_query``) checks the requester and the codes, stores the job and
  enqueues its tasks (``reports.tasks``) in one transaction: a job exists exactly when its
  tasks do. The reader is kept as built from the request (token → ``Reader``), so the job
  reads exactly as a single request would have.
- **Processing** (``run_part``): a job is cut into parts of ``PART_SIZE`` lines (one task each;
  two workers run two parts at once), a part into chunks of ``CHUNK_SIZE`` lines. A chunk's
  codes are checked with ``subject_queries.parse_code`` (the single query's check: an invalid
  code is a per-line error with its reason, never a failed job), looked up in at most two
  queries, and answered by ``report_queries.assemble_reports`` — the single report's assembly
  with batched look-ups: the same visibility rule per subject, the same sections, and one
  query-log row per non-public read, like a single query. The chunk's answers, its query-log
  rows and the job's counters commit together.
- **Results** are stored in the database (``BatchQueryChunk``: JSON lines, zlib-compressed, one
  row per chunk): they commit with the reads they report, need no shared file system between
  the web servers and the workers, and go with the database's backups and retention. They are
  streamed out in line order as JSON lines or CSV (UTF-8 with BOM, one row per report item).

A line is ``found`` (the report: subject, reader basis, levels, sections — what
``GET /api/v1/subjects/{code}/report`` gives in ``content``, unsigned), ``not_found`` (a valid
code the platform does not know), ``invalid`` (with the reason), or ``duplicate`` (a valid code
already on an earlier line, answered there and read once).
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import math
import unicodedata
import uuid
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

import orjson
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pubcredit.access import tokens
from pubcredit.access.readers import Reader
from pubcredit.errors import Conflict, Gone, InvalidInput, NotFound, NotPermitted
from pubcredit.reports import queries as report_queries
from pubcredit.reports.models import BatchQuery, BatchQueryChunk, BatchQueryFormat, BatchQueryStatus
from pubcredit.subjects import pii
from pubcredit.subjects import queries as subject_queries
from pubcredit.textinput import JSON_TOO_DEEP, duplicate_keys, loads_json, storable

#: Art. 40 batch queries: at most this many codes in one request.
MAX_CODES: Final = 100_000
#: …and at most this many lines, blank ones included: every line is kept (answers name the line of
#: the file) and each part reads the whole list, so a code and 16 MB of blank lines (16 million lines,
#: 1,678 parts) took the workers over 20 minutes.
MAX_LINES: Final = 2 * MAX_CODES
#: A request body larger than this is refused before it is read (100 000 codes take about 2 MB).
MAX_BODY_BYTES: Final = 16 * 1024 * 1024
#: Lines per task: parts of one job run in parallel on as many workers as there are.
PART_SIZE: Final = 10_000
#: Lines per chunk: one transaction, one stored result row, a handful of queries.
CHUNK_SIZE: Final = 1_000
FORMATS: Final = tuple(BatchQueryFormat.values)
CSV_COLUMNS: Final = (
    "line", "code", "status", "reason", "subject_name", "subject_code", "subject_kind", "reader_basis", "levels",
    "section", "origin", "record_id", "version", "entry_code", "entry_name", "info_class", "open_level", "source",
    "department", "decision_date", "disclosure_until", "marks", "fields",
)
NOT_FOUND_REASON: Final = "平台未收录该代码对应的信用主体"
#: An answer repeats the code as given, up to this many characters (a code has 18).
MAX_ECHO: Final = 64
# Answers are plain JSON built here (no cycles): skipping the cycle check saves a fifth of the encoding.
_ENCODER: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)


#: Purposes of the encrypted blobs (``subjects.pii.seal``): codes and results hold resident ID numbers.
CODES_PURPOSE: Final = "batch_query_codes"
RESULTS_PURPOSE: Final = "batch_query_results"


# --- the request -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    """A batch query as posted: one entry per input line (None for a blank line of an upload)."""

    codes: list[str | None]
    format: str


def seal_codes(codes: Sequence[str | None]) -> bytes:
    """A job's codes as stored: JSON, encrypted like resident ID numbers."""
    return pii.seal(orjson.dumps(list(codes)), purpose=CODES_PURPOSE)


def codes_of(blob: bytes | memoryview) -> list[str | None]:
    """A job's codes from ``seal_codes``' blob."""
    codes: list[str | None] = orjson.loads(pii.unseal(blob, purpose=CODES_PURPOSE))
    return codes


def _format(value: object) -> str:
    fmt = str(value or BatchQueryFormat.JSONL).strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"结果格式应为 {' 或 '.join(FORMATS)}", field="format")
    return fmt


def parse_request(body: bytes, *, content_type: str, fmt: str | None = None) -> Request:
    """Read a posted batch query: JSON ``{"codes": [...], "format": ...}``, or a text/CSV upload with one
    code per line (first column; a first line without any digit is a header and skipped; blank
    lines are skipped but keep their line numbers). InvalidInput names the field that is wrong."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"请求体过大：最多 {MAX_BODY_BYTES // (1024 * 1024)} MB", field="codes")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in ("application/json", ""):
        return _from_json(body, fmt)
    if kind in ("text/csv", "text/plain", "application/csv"):
        return Request(_from_text(body), _format(fmt))
    raise InvalidInput("请以 application/json 或 text/csv 提交", field="content-type")


def _from_json(body: bytes, fmt: str | None) -> Request:
    try:
        data = loads_json(body or b"null")
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput("请求体不是有效的 JSON", field="codes") from exc
    except RecursionError:
        raise InvalidInput(f"请求体不是有效的 JSON：{JSON_TOO_DEEP}", field="codes") from None
    if not isinstance(data, dict):
        raise InvalidInput('请求体应为 JSON 对象 {"codes": [...]}', field="codes")
    if duplicate_keys(data):
        raise InvalidInput(f"请求体中的键 {'、'.join(duplicate_keys(data))} 出现了不止一次", field="codes")
    codes = data.get("codes")
    if not isinstance(codes, list):
        raise InvalidInput("codes 应为代码的数组", field="codes")
    for i, code in enumerate(codes):
        if not isinstance(code, str):
            raise InvalidInput(f"第 {i + 1} 个代码应为字符串", field="codes")
    if "format" in data and not (isinstance(data["format"], str) and data["format"].strip()):
        # given, then one of the formats: "" or null is no format, not the default
        raise InvalidInput(f"结果格式应为 {' 或 '.join(FORMATS)}", field="format")
    # A NUL cannot be stored with the job: it becomes U+FFFD, and the line an invalid code.
    return Request([storable(code) for code in codes], _format(data.get("format") or fmt))


def _decode(body: bytes) -> str:
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8):]
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return body.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InvalidInput("文件编码应为 UTF-8 或 GB18030", field="codes") from exc


def _first_cell(line: str) -> str:
    """A line's first comma-separated cell. Each line is read on its own: a quote cannot run on over
    the following lines (which swallowed their codes and shifted every later line number), and a
    line CSV cannot read (an unclosed quote, a cell over the csv module's limit) is taken whole — its
    code is then answered as invalid, on its own line."""
    if '"' not in line:
        return line.split(",", 1)[0]
    try:
        row = next(csv.reader([line]), [])
    except csv.Error:
        return line
    return row[0] if row else ""


def _from_text(body: bytes) -> list[str | None]:
    lines = _decode(body).splitlines()
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"一次最多提交 {MAX_LINES} 行（含空行），本次为 {len(lines)} 行", field="codes")
    codes: list[str | None] = []
    header_seen = False
    for line in lines:
        cell = _first_cell(line).strip()
        if not cell:
            codes.append(None)
        elif not header_seen and not any(ch.isdigit() for ch in cell) and not any(codes):
            codes.append(None)  # a header line such as "code" or "统一社会信用代码"
            header_seen = True
        else:
            codes.append(storable(cell))  # as in _from_json
    return codes


# --- submission ------------------------------------------------------------------------------

def _owner(reader: Reader) -> dict[str, int]:
    if reader.kind == "agency" and reader.agency_id is not None:
        return {"agency_id": reader.agency_id}
    if reader.kind == "officer" and reader.department_id is not None:
        return {"department_id": reader.department_id}
    raise NotPermitted("批量查询须使用信用服务机构或部门的接口令牌")


def _audit(event: str, job: BatchQuery, *, actor: str, channel: str, data: dict[str, Any]) -> None:
    from django.apps import apps

    if apps.is_installed("pubcredit.audit"):
        from pubcredit.audit.services import record_event

        record_event(event, actor=actor, object_type="batch_query", object_id=str(job.public_id), channel=channel,
                     data=data)


@transaction.atomic
def submit_batch_query(request: Request, *, reader: Reader, today: date | None = None,
                       token_id: int | None = None) -> BatchQuery:
    """Art. 40: queue a batch query of ``request.codes`` for ``reader`` (an agency's or a department's token).

    ``token_id``, the API token the request came with, is kept: the job reads only while that token
    is not revoked (``run_part``).

    Raises NotPermitted for any other reader; InvalidInput (field ``codes``) for no code or more
    than ``MAX_CODES``, and what ``visibility`` raises for an officer's bad matter or missing
    purpose — checked now, so that a job is never queued to fail.
    """
    from pubcredit.reports import tasks

    owner = _owner(reader)
    total = sum(1 for c in request.codes if c is not None)
    if total == 0:
        raise InvalidInput("请至少提交一个代码", field="codes")
    if total > MAX_CODES:
        raise InvalidInput(f"一次最多查询 {MAX_CODES} 个代码，本次为 {total} 个", field="codes")
    if len(request.codes) > MAX_LINES:
        raise InvalidInput(f"一次最多提交 {MAX_LINES} 行（含空行），本次为 {len(request.codes)} 行", field="codes")
    subject_queries.common_visibility(reader, today=today or timezone.localdate())
    parts = math.ceil(len(request.codes) / PART_SIZE)
    job = BatchQuery.objects.create(reader=asdict(reader), format=request.format,
                                    codes_sealed=seal_codes(request.codes), lines=len(request.codes), total=total,
                                    parts_total=parts, token_id=token_id,
                                    created_by=reader.name or reader.kind, **owner)
    for part in range(parts):
        tasks.run_batch_query_part.enqueue(job.pk, part)
    _audit("reports:batch_query:submitted", job, actor=job.created_by, channel="api",
           data={"codes": total, "format": job.format, "matter": reader.matter, "purpose": reader.purpose})
    return job


# --- processing ------------------------------------------------------------------------------

@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cycle collector while one chunk is answered.

    A chunk builds millions of short-lived, acyclic dicts, lists and dataclasses (reports and
    their JSON); they are freed by reference counting all the same, but the collector's full
    passes over them cost a third of a worker's CPU. Cycles made meanwhile are collected once it
    runs again, after the chunk. Process-wide: meant for the worker, not a threaded web server.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _echo(raw: str) -> str:
    return raw if len(raw) <= MAX_ECHO else raw[:MAX_ECHO] + "…"


def _normal(code: str) -> str:
    """A code as the code checks read it (full-width characters folded, spaces stripped, upper case):
    the same code typed two ways is one code, answered (and its read logged) once."""
    return unicodedata.normalize("NFKC", code).strip().upper()


def _first_lines(codes: Sequence[str | None]) -> dict[str, int]:
    """For each code (ignoring case and surrounding spaces), the index of its first line."""
    first: dict[str, int] = {}
    for i, code in enumerate(codes):
        if code is not None:
            first.setdefault(_normal(code), i)
    return first


@transaction.atomic
def _begin_part(job_id: int) -> BatchQuery | None:
    """queued → running on the first part (fixing the day every answer is as of); None if the job ended."""
    job = BatchQuery.objects.select_for_update().defer("codes_sealed").get(pk=job_id)
    if job.status in (BatchQueryStatus.DONE, BatchQueryStatus.FAILED):
        return None
    if job.status == BatchQueryStatus.QUEUED:
        job.status = BatchQueryStatus.RUNNING
        job.started_at = timezone.now()
        job.as_of = timezone.localdate()
        job.save(update_fields=["status", "started_at", "as_of"])
    return job


@transaction.atomic
def _end_part(job_id: int) -> None:
    """Count a finished part; running → done once every chunk is stored (counted, not assumed, so a
    part run twice cannot finish a job early)."""
    job = BatchQuery.objects.select_for_update().defer("codes_sealed").get(pk=job_id)
    job.parts_done += 1
    fields = ["parts_done"]
    stored = BatchQueryChunk.objects.filter(job_id=job_id).count()
    if stored >= math.ceil(job.lines / CHUNK_SIZE) and job.status == BatchQueryStatus.RUNNING:
        job.status = BatchQueryStatus.DONE
        job.finished_at = timezone.now()
        fields += ["status", "finished_at"]
    job.save(update_fields=fields)
    if job.status == BatchQueryStatus.DONE:
        _audit("reports:batch_query:completed", job, actor="worker", channel="task",
               data={"found": job.found, "not_found": job.not_found, "invalid": job.invalid,
                     "duplicates": job.duplicates})


@transaction.atomic
def _fail(job_id: int, exc: BaseException) -> None:
    """queued/running → failed. The reason kept is the error's kind only; the trace is in the task row."""
    job = BatchQuery.objects.select_for_update().defer("codes_sealed").get(pk=job_id)
    if job.status in (BatchQueryStatus.QUEUED, BatchQueryStatus.RUNNING):
        job.status = BatchQueryStatus.FAILED
        job.finished_at = timezone.now()
        job.error = f"处理失败（{type(exc).__name__}），请重新提交"
        job.save(update_fields=["status", "finished_at", "error"])
        _audit("reports:batch_query:failed", job, actor="worker", channel="task",
               data={"error": type(exc).__name__, "done": job.done, "total": job.total})


class _TokenRevoked(Exception):
    """The job's API token was revoked: it reads nothing more."""


@transaction.atomic
def _stop_revoked(job_id: int) -> None:
    """queued/running → failed because the job's token was revoked: what was answered before stays
    counted, nothing after it is read."""
    job = BatchQuery.objects.select_for_update().defer("codes_sealed").get(pk=job_id)
    if job.status not in (BatchQueryStatus.QUEUED, BatchQueryStatus.RUNNING):
        return
    job.status = BatchQueryStatus.FAILED
    job.finished_at = timezone.now()
    job.error = f"提交该任务的接口令牌已吊销，任务已停止：已处理 {job.done} 个代码，其余未查询"
    job.save(update_fields=["status", "finished_at", "error"])
    _audit("reports:batch_query:stopped", job, actor="worker", channel="task",
           data={"reason": "token_revoked", "token": job.token_id, "done": job.done, "total": job.total})


def run_part(job_id: int, part: int) -> None:
    """Answer part ``part`` of a job, chunk by chunk (the task's body). A chunk already stored is
    skipped, so a part run again after a crash goes on where it stopped. Each chunk first checks
    that the job's token is not revoked (and holds it so until the chunk commits): once an operator
    has revoked it, the job stops and reads nothing more."""
    job = _begin_part(job_id)
    if job is None:
        return
    try:
        codes = codes_of(BatchQuery.objects.values_list("codes_sealed", flat=True).get(pk=job_id))
        reader = Reader(**job.reader)
        first = _first_lines(codes)
        lo, hi = part * PART_SIZE, min(len(codes), (part + 1) * PART_SIZE)
        stored = set(BatchQueryChunk.objects.filter(job_id=job_id, seq__gte=lo // CHUNK_SIZE,
                                                    seq__lt=math.ceil(hi / CHUNK_SIZE))
                     .values_list("seq", flat=True))
        # Judged on the day of the read, not the job's first day: an authorisation that expired
        # meanwhile (a job over midnight, a queue, a part run again after a crash) no longer counts.
        as_of = timezone.localdate()
        for start in range(lo, hi, CHUNK_SIZE):
            if start // CHUNK_SIZE not in stored:
                with _cyclic_gc_paused():
                    _answer_chunk(job_id, reader, codes, start, min(hi, start + CHUNK_SIZE), first, as_of,
                                  token_id=job.token_id)
    except _TokenRevoked:
        _stop_revoked(job_id)
        return
    except BaseException as exc:
        _fail(job_id, exc)
        raise
    _end_part(job_id)


@transaction.atomic
def _answer_chunk(job_id: int, reader: Reader, codes: Sequence[str | None], start: int, end: int,
                  first: dict[str, int], as_of: date, *, token_id: int | None = None) -> None:
    if token_id is not None and not tokens.hold_unrevoked(token_id):
        raise _TokenRevoked
    lines: list[dict[str, Any]] = []
    parsed: dict[int, subject_queries.ParsedCode] = {}
    counts = {"duplicates": 0, "invalid": 0, "found": 0, "not_found": 0}
    for i in range(start, end):
        raw = codes[i]
        if raw is None:
            continue
        try:
            code = subject_queries.parse_code(raw)
        except InvalidInput as exc:  # every invalid line says why, repeated or not
            lines.append({"line": i + 1, "code": _echo(raw), "status": "invalid", "field": "code",
                          "reason": exc.message})
            counts["invalid"] += 1
            continue
        earlier = first[_normal(raw)]
        if earlier != i:
            lines.append({"line": i + 1, "code": raw, "status": "duplicate", "reason": f"与第 {earlier + 1} 行重复"})
            counts["duplicates"] += 1
            continue
        parsed[i] = code
    known = subject_queries.subjects_by_codes(parsed.values())
    subjects = list({s.pk: s for s in known.values()}.values())
    reports = report_queries.assemble_reports(subjects, reader=reader, today=as_of)
    for i, code in parsed.items():
        subject = known.get(code.value)
        if subject is None:
            lines.append({"line": i + 1, "code": codes[i], "status": "not_found", "reason": NOT_FOUND_REASON})
            counts["not_found"] += 1
            continue
        content = reports[subject.pk].content()
        lines.append({"line": i + 1, "code": codes[i], "status": "found", "as_of": content["as_of"],
                      "subject": content["subject"], "reader": content["reader"], "levels": content["levels"],
                      "sections": content["sections"]})
        counts["found"] += 1
    lines.sort(key=lambda line: int(line["line"]))
    text = "".join(_ENCODER.encode(line) + "\n" for line in lines)
    BatchQueryChunk.objects.create(job_id=job_id, seq=start // CHUNK_SIZE, lines=len(lines),
                                   data=pii.seal(zlib.compress(text.encode("utf-8"), 1), purpose=RESULTS_PURPOSE))
    BatchQuery.objects.filter(pk=job_id).update(done=F("done") + len(lines),
                                                **{k: F(k) + v for k, v in counts.items()})


# --- reads -----------------------------------------------------------------------------------

def job_for(job_id: str, *, reader: Reader) -> BatchQuery:
    """The job if ``reader``'s organisation (agency or department) submitted it; NotFound otherwise —
    also for another's job, so that ids cannot be probed."""
    try:
        public_id = uuid.UUID(str(job_id))
    except ValueError:
        public_id = None
    job = BatchQuery.objects.defer("codes_sealed").filter(public_id=public_id).first() if public_id else None
    if job is None:
        raise NotFound("未找到该批量查询任务", field="id")
    owner = _owner(reader)
    if ("agency_id" in owner and job.agency_id != owner["agency_id"]) or (
            "department_id" in owner and job.department_id != owner["department_id"]):
        raise NotFound("未找到该批量查询任务", field="id")
    return job


def result_format(job: BatchQuery, requested: str | None) -> str:
    """The format to stream: the one asked for, else the job's. Conflict if the job is not done;
    Gone once its answers were deleted (``purge_results``)."""
    if job.results_deleted_at is not None:
        raise Gone(f"该批量查询的结果已超过保存期限（完成后 {results_keep_days()} 天），已于 "
                   f"{timezone.localtime(job.results_deleted_at):%Y-%m-%d} 删除；如仍需要，请重新提交批量查询")
    if job.status != BatchQueryStatus.DONE:
        raise Conflict(f"任务尚未完成（{job.get_status_display()}），完成后方可下载结果")
    return _format(requested or job.format)


# --- keeping period --------------------------------------------------------------------------

def results_keep_days() -> int:
    """Days a finished job's answers are kept (``PUBCREDIT_BATCH_RESULTS_DAYS``, at least 1)."""
    return max(1, int(getattr(settings, "PUBCREDIT_BATCH_RESULTS_DAYS", 30)))


def results_kept_until(job: BatchQuery) -> datetime | None:
    """Until when a done job's answers can be downloaded (None: not done, or deleted already)."""
    if job.status != BatchQueryStatus.DONE or job.finished_at is None or job.results_deleted_at is not None:
        return None
    return job.finished_at + timedelta(days=results_keep_days())


def purge_results(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Art. 40: delete the answers of batch queries finished (done or failed) more than
    ``results_keep_days()`` ago, at most ``limit`` jobs per call. Each job keeps its row and counts,
    says when its answers went (``results_deleted_at``) and gets an audit entry; the reads it
    logged stay in the query log (kept ten years). The answers hold a whole population's reports
    for one requester: kept no longer than the requester needs to fetch them. Returns the jobs
    purged."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=results_keep_days())
    due = list(BatchQuery.objects.filter(status__in=(BatchQueryStatus.DONE, BatchQueryStatus.FAILED),
                                         finished_at__lt=cutoff, results_deleted_at__isnull=True)
               .order_by("finished_at").values_list("pk", flat=True)[:limit])
    purged = 0
    for job_id in due:
        with transaction.atomic():
            job = BatchQuery.objects.select_for_update().defer("codes_sealed").get(pk=job_id)
            if job.results_deleted_at is not None:
                continue  # purged meanwhile by another worker
            chunks, _ = BatchQueryChunk.objects.filter(job_id=job_id).delete()
            job.results_deleted_at = now
            job.save(update_fields=["results_deleted_at"])
            _audit("reports:batch_query:results_deleted", job, actor="platform", channel="task",
                   data={"keep_days": results_keep_days(), "chunks": chunks,
                         "finished_at": job.finished_at.isoformat() if job.finished_at else None})
            purged += 1
    return purged


def _chunks(job: BatchQuery) -> Iterator[bytes]:
    """The stored answers, chunk by chunk in line order, one chunk in memory at a time."""
    seqs = list(BatchQueryChunk.objects.filter(job=job).order_by("seq").values_list("seq", flat=True))
    for seq in seqs:
        data = BatchQueryChunk.objects.filter(job=job, seq=seq).values_list("data", flat=True).get()
        yield zlib.decompress(pii.unseal(data, purpose=RESULTS_PURPOSE))


def jsonl_results(job: BatchQuery) -> Iterator[bytes]:
    """The results as JSON lines (UTF-8), one line per non-blank input line."""
    yield from _chunks(job)


def _csv_rows(line: dict[str, Any]) -> Iterator[list[Any]]:
    head = [line["line"], line["code"], line["status"], line.get("reason", "")]
    if line["status"] != "found":
        yield head + [""] * (len(CSV_COLUMNS) - len(head))
        return
    subj = line["subject"]
    who = [subj["name"], subj["code"], subj["kind"], line["reader"]["basis"], "|".join(line["levels"])]
    items = [(s["key"], it) for s in line["sections"] for it in s["items"]]
    if not items:
        yield head + who + [""] * (len(CSV_COLUMNS) - len(head) - len(who))
    for key, it in items:
        yield head + who + [
            key, it["origin"], it["record_id"] or "", it["version"] or "", it["entry_code"], it["entry_name"],
            it["info_class"], it["open_level"], it["source"], it["department"], it["decision_date"] or "",
            it["disclosure_until"] or "", "|".join(it["marks"]),
            orjson.dumps({f["name"]: f["value"] for f in it["fields"]}).decode("utf-8"),
        ]


#: What a spreadsheet program takes for a formula at the start of a cell (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _inert(cell: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``
    (an organisation's name or a code as submitted can be ``=HYPERLINK(…)``)."""
    return "'" + cell if isinstance(cell, str) and cell.startswith(_FORMULA_STARTS) else cell


def csv_results(job: BatchQuery) -> Iterator[bytes]:
    """The results as CSV (UTF-8 with BOM, so spreadsheet programs read the Chinese): one row per
    report item of a found subject (one row if none is visible), one row per other line. A cell
    that a spreadsheet would run as a formula is written with a leading ``'`` (``_inert``)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    yield codecs.BOM_UTF8 + buf.getvalue().encode("utf-8")
    # orjson reads the stored lines and writes each item's fields: the standard library's json took
    # two fifths of the conversion (100,000 codes: ≈ 590 MB of CSV).
    for block in _chunks(job):
        buf.seek(0)
        buf.truncate()
        writer.writerows([_inert(cell) for cell in row]
                         for raw in block.splitlines() for row in _csv_rows(orjson.loads(raw)))
        yield buf.getvalue().encode("utf-8")
