"""Issuing credit reports (Art. 40) and keeping their PDFs: the only writers of the reports app.

A report is issued when it is handed out on any channel (JSON, page, PDF). Issuing signs the
digest of its content and stores one ``IssuedReport`` per distinct content: the same content
(same subject, reader basis, day and records) is the same report, with the same verification
code — which is what lets its PDF be rendered once and served from the cache afterwards.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Field
from django.utils import timezone

from pubcredit.access import services as access_services
from pubcredit.access.readers import Reader
from pubcredit.audit.services import Insert, insert_with_events
from pubcredit.errors import Busy, PubcreditError
from pubcredit.reports import queries, rules, signing
from pubcredit.reports.models import IssuedReport, PdfRender, PdfRenderStatus, ReportPdf
from pubcredit.reports.rules import Report, ReportKind
from pubcredit.subjects.models import Subject
from pubcredit.subjects.queries import summarize

if TYPE_CHECKING:
    from pubcredit.reports.pdf import RenderedPdf

_CODE_ATTEMPTS = 5


@dataclass(frozen=True)
class Issued:
    """A report as handed out: its content, the canonical bytes of that content (what was digested,
    and what the JSON answer embeds) and the issued row that vouches for it."""

    report: Report
    row: IssuedReport
    body: bytes = b""

    @property
    def content(self) -> dict[str, Any]:
        return self.report.content()

    @property
    def canonical(self) -> bytes:
        return self.body or rules.canonical_bytes(self.content)

    @property
    def code(self) -> str:
        return rules.format_verification_code(self.row.code)

    def verification(self) -> dict[str, Any]:
        """The ``verification`` block of the JSON report and of the page and PDF."""
        return {
            "code": self.code, "issued_at": self.row.issued_at, "digest": self.row.content_digest,
            "algorithm": signing.ALGORITHM, "signature": self.row.signature, "key_id": self.row.key_id,
            "signed_message": rules.signed_message_of(self.row).decode("utf-8"),
        }


def _event(row: IssuedReport, *, actor: str) -> Any:
    """The audit entry of issuing ``row`` (None when the audit app is not installed)."""
    from django.apps import apps

    if not apps.is_installed("pubcredit.audit"):
        return None
    from pubcredit.audit.services import prepare_event

    return prepare_event("reports:report:issued", actor=actor, object_type="issued_report", object_id=row.code,
                         subject_id=row.subject_id, data={"kind": row.kind, "digest": row.content_digest,
                                                          "reader_basis": row.reader_basis,
                                                          "as_of": row.as_of.isoformat()})


# The columns ``_insert`` writes, in order; the statement is built once from the model's metadata.
_INSERT_FIELDS = ("code", "kind", "subject", "subject_name_public", "subject_code_public", "reader_basis", "as_of",
                  "parameters", "content_digest", "signature", "key_id", "signature_format", "issued_at")


def _field(name: str) -> Field[Any, Any]:
    found = IssuedReport._meta.get_field(name)
    assert isinstance(found, Field)  # noqa: S101 - the names above are concrete columns
    return found


@cache
def _columns() -> tuple[list[str], str]:
    """Every concrete field of an issued row (attribute names) and the same as a SELECT/RETURNING list
    (``parameters`` as text, decoded here: plain SQL bypasses the ORM's JSON converter)."""
    qn = connection.ops.quote_name
    fields = list(IssuedReport._meta.concrete_fields)
    return ([f.attname for f in fields],
            ", ".join(f"{qn(f.column)}::text" if f.name == "parameters" else qn(f.column) for f in fields))


@cache
def _insert_sql() -> str:
    meta = IssuedReport._meta
    qn = connection.ops.quote_name
    columns = ", ".join(qn(_field(name).column) for name in _INSERT_FIELDS)
    values = ", ".join("%s::jsonb" if name == "parameters" else "%s" for name in _INSERT_FIELDS)
    return (f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({values}) "
            f"ON CONFLICT DO NOTHING RETURNING {_columns()[1]}")


@cache
def _by_digest_sql() -> str:
    qn = connection.ops.quote_name
    return (f"SELECT {_columns()[1]} FROM {qn(IssuedReport._meta.db_table)} "
            f"WHERE {qn(_field('content_digest').column)} = %s")


def _row(values: tuple[Any, ...]) -> IssuedReport:
    names = _columns()[0]
    data = dict(zip(names, values, strict=True))
    data["parameters"] = json.loads(data["parameters"])
    return IssuedReport.from_db(connection.alias, names, [data[n] for n in names])


def _insert(row: IssuedReport, *, actor: str, before: Sequence[Insert] = ()) -> tuple[bool, IssuedReport] | None:
    """Insert ``row`` unless its content digest (or, never expected, its random code) is taken, with
    its audit entry (written only if the row is), and the pending writes ``before`` (the read's
    query-log row and its entry): one statement, no savepoint. Returns (True, the new row), or
    (False, the row issued before with the same digest), or None when only the code collided."""
    values = [json.dumps(row.parameters) if name == "parameters" else getattr(row, _field(name).attname)
              for name in _INSERT_FIELDS]
    event = _event(row, actor=actor)
    if event is not None:
        found = insert_with_events([*before, Insert(_insert_sql(), values, event)], existing_sql=_by_digest_sql(),
                                   existing_params=[row.content_digest])
    else:
        if before:
            raise RuntimeError("a read is logged with its audit entry: the audit app must be installed")
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql(), values)
            inserted = cursor.fetchone()
            if inserted is not None:
                found = (True, tuple(inserted))
            else:
                cursor.execute(_by_digest_sql(), [row.content_digest])
                before = cursor.fetchone()
                found = (False, tuple(before)) if before is not None else None
    if found is None:
        return None
    return found[0], _row(found[1])


def _store(report: Report, *, subject: Subject, parameters: dict[str, Any], actor: str,
           now: datetime | None, before: Sequence[Insert] = (), body: bytes = b"") -> tuple[IssuedReport, bytes]:
    """The issued row of this content: inserted and signed now, or the one issued before (same
    digest). ``before``: pending writes (the read's query log) made in the same statement, once.
    ``body``: the content's canonical bytes when the caller has them already.
    Returns the row with the canonical bytes of the content."""
    body = body or rules.canonical_bytes(report.content())
    digest = rules.digest_of(body)
    issued_at = (now or timezone.now()).replace(microsecond=0)
    key = signing.platform_key()
    # What the verify page publishes about the subject: a person's name and code masked.
    public = summarize(subject)
    for _ in range(_CODE_ATTEMPTS):
        code = rules.new_verification_code()
        row = IssuedReport(
            code=code, kind=report.kind, subject=subject, subject_name_public=public.name,
            subject_code_public=public.code, reader_basis=report.reader.basis, as_of=report.as_of,
            parameters=parameters, content_digest=digest, key_id=key.key_id,
            signature_format=rules.SIGNATURE_FORMAT, issued_at=issued_at,
        )
        row.signature = signing.sign(key, rules.signed_message_of(row))
        stored = _insert(row, actor=actor, before=before)
        before = ()  # written by that statement whatever became of the row
        if stored is not None:
            return stored[1], body  # new, or the same content issued before (its signature unchanged)
        # Only the random code collided (or the conflicting row is not visible yet): look again, or retry.
        existing = IssuedReport.objects.filter(content_digest=digest).first()
        if existing is not None:
            return existing, body
    raise RuntimeError("could not draw an unused verification code")  # 80 random bits: never expected


def issue_report(subject: Subject, *, reader: Reader, today: date | None = None,
                 now: datetime | None = None) -> Issued:
    """Art. 40: assemble the full report for ``reader`` and issue it (signed, verifiable).

    A non-public read is logged once, in the same statement as the issue (the query log row, the
    issued row and their audit entries are written together or not at all).
    Raises what ``queries.assemble_report`` raises.
    """
    report, read_log = queries.assemble_report_deferred(subject, reader=reader, today=today)
    row, body = _store(report, subject=subject, parameters={}, actor=reader.name or reader.kind, now=now,
                       before=[read_log] if read_log is not None else [])
    return Issued(report, row, body)


def issue_special_report(subject: Subject, *, reader: Reader, date_from: date | None = None,
                         date_to: date | None = None, classes: str | list[str] | None = None,
                         today: date | None = None, now: datetime | None = None) -> Issued:
    """Art. 40: assemble and issue a special credit report (专项信用报告) for a period ≤ 5 years.

    A non-public read is logged once, in the same statement as the issue (as ``issue_report``).
    Raises InvalidInput for a bad period or class, and what ``assemble_special_report`` raises.
    """
    today = today or timezone.localdate()
    request = queries.special_request(date_from=date_from, date_to=date_to, classes=classes, today=today)
    report, read_log = queries.assemble_special_report_deferred(subject, reader=reader, request=request, today=today)
    row, body = _store(report, subject=subject, parameters=request.parameters(), actor=reader.name or reader.kind,
                       now=now, before=[read_log] if read_log is not None else [])
    return Issued(report, row, body)


#: Advisory lock key (first half) of the PDF render slots; the second half is the slot number.
_PDF_SLOT_LOCK = 0x5052
PDF_BUSY_RETRY_SECONDS = 10


@contextmanager
def _render_slot(*, wait: float = 0.0) -> Iterator[None]:
    """Hold one of the ``PUBCREDIT_PDF_RENDERS_AT_ONCE`` render slots (cluster-wide) or raise Busy.

    A render takes a core for seconds (≈ 20 s for 400 records): without a cap, a burst of PDF
    requests for large reports would take every core from the portal and the API. Session-level
    advisory locks: a process that dies releases its slot with its connection. ``wait``: seconds
    to keep trying for a slot (a task worker waits; a web request does not).
    """
    slots = max(1, int(getattr(settings, "PUBCREDIT_PDF_RENDERS_AT_ONCE", 2)))
    held = None
    deadline = time.monotonic() + wait
    while True:
        with connection.cursor() as cursor:
            for slot in range(slots):
                cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_PDF_SLOT_LOCK, slot])
                if cursor.fetchone()[0]:
                    held = slot
                    break
        if held is not None or time.monotonic() >= deadline:
            break
        time.sleep(0.5)
    if held is None:
        raise Busy(f"平台正在生成其他 PDF 报告，请 {PDF_BUSY_RETRY_SECONDS} 秒后再试",
                   retry_after=PDF_BUSY_RETRY_SECONDS)
    try:
        yield
    finally:
        _unlock(_PDF_SLOT_LOCK, held)


def _unlock(key: int, number: int) -> None:
    """Give back a session advisory lock of this connection."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [key, number])
    except DatabaseError:
        # Gone (its locks went with it) or unusable: closing it is what frees the lock then.
        connection.close()


def pdf_of(issued: Issued, *, verify_url: str) -> bytes:
    """The PDF of an issued report: from the cache, or rendered now and kept (one render per content
    and verify link).

    ``verify_url`` is what the QR code encodes (the verify page for this code). A cached PDF is
    handed out only if it prints this link (``pdf.prints_verify_url``): with ``PUBCREDIT_PUBLIC_URL``
    set every request has the same link; without it the link follows the request's host, and a PDF
    rendered for another host is rendered again for this one (and replaces the one kept). A render
    needs a free render slot (``_render_slot``): Busy (503, retry after ``PDF_BUSY_RETRY_SECONDS``)
    when every slot is taken; a cached PDF never waits.
    """
    from pubcredit.reports import pdf

    def cached() -> bytes | None:
        found = (ReportPdf.objects.filter(report=issued.row, template_version=pdf.TEMPLATE_VERSION)
                 .values_list("pdf", flat=True).first())
        data = None if found is None else bytes(found)
        return data if data is not None and pdf.prints_verify_url(data, verify_url) else None

    done = cached()
    if done is not None:
        return done
    with _render_slot():
        done = cached()  # rendered by another request while this one took its slot
        if done is not None:
            return done
        started = time.perf_counter()
        rendered = pdf.render(issued, verify_url=verify_url)
        # kept before the slot is given back, so the next request for it finds it
        _keep_pdf(issued.row, rendered, render_ms=int((time.perf_counter() - started) * 1000))
    return rendered.data


def _keep_pdf(row: IssuedReport, rendered: RenderedPdf, *, render_ms: int) -> None:
    """Keep ``rendered`` as the PDF of ``row`` in the current layout, in place of one kept before
    (rendered for another verify link: ``pdf_of``)."""
    from pubcredit.reports import pdf

    values = {"pdf": rendered.data, "pages": rendered.pages, "render_ms": render_ms}
    try:
        with transaction.atomic():
            if not ReportPdf.objects.filter(report=row, template_version=pdf.TEMPLATE_VERSION).update(
                    **values, created_at=timezone.now()):
                ReportPdf.objects.create(report=row, template_version=pdf.TEMPLATE_VERSION, **values)
    except IntegrityError:
        pass  # kept concurrently by another request rendering the same report


# --- large PDFs: rendered by a task worker ------------------------------------------------------

#: Bounds of the seconds a client is told to wait before asking again for a PDF being rendered in
#: the background (``pdf_retry_after``).
PDF_RETRY_MIN_SECONDS = 5
PDF_RETRY_MAX_SECONDS = 30
#: A queued or rendering PDF not done after this long is queued again (its worker was stopped).
PDF_RENDER_STALE_SECONDS = 600
#: Renders of one PDF that may fail before the platform stops trying (each failure is logged).
PDF_RENDER_ATTEMPTS = 3
#: At most this many PDFs wait for (or are in) a background render; another large report's PDF asked
#: for meanwhile gets Busy. Renders go before other tasks (``tasks.PDF_PRIORITY``): the cap keeps a
#: burst of requests for large reports from holding up record files and batch queries for long.
PDF_QUEUE_MAX = 10
PDF_QUEUE_FULL_RETRY_SECONDS = 60
#: Advisory lock key (first half) held by the task rendering a queued PDF; the second half is its id.
_PDF_JOB_LOCK = 0x5053
#: How long a task worker waits for a render slot before it gives the PDF back to the queue.
_TASK_SLOT_WAIT_SECONDS = 300.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PdfAnswer:
    """What a request for a report's PDF gets: the PDF (``data``), or word that it is being rendered
    (``ready`` False: ask again after ``retry_after`` seconds), or, when the caller did not ask for
    the file itself (``deliver=False``), that it is ready to be fetched (``ready`` True, no data)."""

    issued: Issued
    data: bytes | None
    ready: bool
    retry_after: int = 0


def pdf_render_estimate(items: int) -> float:
    """Seconds a render of a report listing ``items`` records takes on the reference machine (2 cores,
    ``tests.bench.pdf_render``, session 9: 3 → 0.65 s, 20 → 1.1 s, 100 → 4.9 s, 389 → 19.5 s)."""
    return 0.5 + 0.05 * items


def pdf_retry_after(items: int, *, started_at: datetime | None = None, now: datetime | None = None) -> int:
    """When to ask again for a PDF being rendered: its estimated render time (less what has passed
    since its render started), within ``PDF_RETRY_MIN_SECONDS``–``PDF_RETRY_MAX_SECONDS``. Clients
    that ask when told need one or two requests, not one every few seconds (the report paths are
    rate-limited per address: ten a minute)."""
    left = pdf_render_estimate(items) + 1
    if started_at is not None:
        left -= ((now or timezone.now()) - started_at).total_seconds()
    return int(min(PDF_RETRY_MAX_SECONDS, max(PDF_RETRY_MIN_SECONDS, math.ceil(left))))


def pdf_inline_items() -> int:
    """Reports listing more records than this have their PDF rendered in the background."""
    return max(0, int(getattr(settings, "PUBCREDIT_PDF_INLINE_ITEMS", 60)))


def _assemble(subject: Subject, *, reader: Reader, today: date,
              special: queries.SpecialRequest | None) -> tuple[Report, Insert | None, dict[str, Any]]:
    if special is None:
        report, read_log = queries.assemble_report_deferred(subject, reader=reader, today=today)
        return report, read_log, {}
    report, read_log = queries.assemble_special_report_deferred(subject, reader=reader, request=special, today=today)
    return report, read_log, special.parameters()


def _cached_pdf(digest: str, verify_url: Callable[[str], str]) -> bytes | None:
    """The PDF (current layout) of the report issued with this content digest, if rendered with the
    verify link this request would print (``verify_url`` of its code; ``pdf.prints_verify_url``)."""
    from pubcredit.reports import pdf

    found = (ReportPdf.objects.filter(report__content_digest=digest, template_version=pdf.TEMPLATE_VERSION)
             .values_list("report__code", "pdf").first())
    if found is None:
        return None
    data = bytes(found[1])
    return data if pdf.prints_verify_url(data, verify_url(rules.format_verification_code(found[0]))) else None


def report_pdf(subject: Subject, *, reader: Reader, verify_url: Callable[[str], str],
               special: queries.SpecialRequest | None = None, deliver: bool = True,
               today: date | None = None, now: datetime | None = None) -> PdfAnswer:
    """Art. 40: the PDF of the report (full, or ``special``) that ``reader`` may read now.

    * Rendered before (same content): the cached PDF.
    * Not yet, and the report lists at most ``pdf_inline_items()`` records (a few seconds of
      rendering): rendered now, within a render slot (``pdf_of``; Busy when every slot is taken).
    * Not yet, and larger (≈ 20 s for 400 records): issued, and its rendering queued for a task
      worker (``render_queued``); the answer says when to ask again (``pdf_retry_after``).
      Asking again finds the same report (same content, same verification code) and, once the
      task is done, its PDF.

    A non-public read is logged when the PDF is handed out, once per request that gets it: not
    for answers that only say it is being rendered, nor with ``deliver=False`` (the portal asking
    whether it is ready, without taking the file), nor when the render is refused (Busy) or fails.
    A cached PDF's read is logged in the issue's statement (``_store``); a PDF rendered now is logged
    once it exists (a second statement, after seconds of rendering). ``verify_url`` makes the
    verify address (the QR code's) of a verification code; a cached PDF is handed out only if it
    prints that address (``pdf_of``). Raises what the report's assembly raises.
    """
    today = today or timezone.localdate()
    report, read_log, parameters = _assemble(subject, reader=reader, today=today, special=special)
    body = rules.canonical_bytes(report.content())
    cached = _cached_pdf(rules.digest_of(body), verify_url)
    small = report.item_count <= pdf_inline_items()
    from_cache = deliver and cached is not None
    row, body = _store(report, subject=subject, parameters=parameters, actor=reader.name or reader.kind, now=now,
                       before=[read_log] if from_cache and read_log is not None else [], body=body)
    issued = Issued(report, row, body)
    if cached is not None:
        return PdfAnswer(issued, cached if deliver else None, ready=True)
    if small:  # rendered when it is fetched
        if not deliver:
            return PdfAnswer(issued, None, ready=True)
        data = pdf_of(issued, verify_url=verify_url(issued.code))  # Busy, or a failed render: nothing logged
        if read_log is not None:
            access_services.log_query(read_log)
        return PdfAnswer(issued, data, ready=True)
    retry_after = _queue_render(issued, reader=reader, verify_url=verify_url(issued.code))
    return PdfAnswer(issued, None, ready=False, retry_after=retry_after)


def _queue_render(issued: Issued, *, reader: Reader, verify_url: str) -> int:
    """Make sure a task will render ``issued``'s PDF: queue it once, again when its last try failed
    (up to ``PDF_RENDER_ATTEMPTS``) or when it has waited past ``PDF_RENDER_STALE_SECONDS`` (a
    stopped worker). Returns the seconds to wait; Busy when every try has failed, or when
    ``PDF_QUEUE_MAX`` other PDFs are already waiting."""
    from pubcredit.reports import pdf, tasks

    now = timezone.now()
    items = issued.report.item_count
    with transaction.atomic():
        if (not PdfRender.objects.filter(report=issued.row, template_version=pdf.TEMPLATE_VERSION).exists()
                and PdfRender.objects.filter(  # stale ones (a stopped worker's) are not waiting any more
                    status__in=(PdfRenderStatus.QUEUED, PdfRenderStatus.RENDERING),
                    requested_at__gte=now - timedelta(seconds=PDF_RENDER_STALE_SECONDS)).count() >= PDF_QUEUE_MAX):
            raise Busy(f"平台正在生成的 PDF 报告较多，请 {PDF_QUEUE_FULL_RETRY_SECONDS} 秒后再试；网页版报告可随时查看",
                       retry_after=PDF_QUEUE_FULL_RETRY_SECONDS)
        job, created = PdfRender.objects.get_or_create(
            report=issued.row, template_version=pdf.TEMPLATE_VERSION,
            defaults={"reader": asdict(reader), "verify_url": verify_url, "requested_at": now})
        if not created:
            job = PdfRender.objects.select_for_update().get(pk=job.pk)
            last = job.started_at or job.requested_at
            if job.status == PdfRenderStatus.FAILED and job.attempts >= PDF_RENDER_ATTEMPTS:
                raise Busy("报告 PDF 多次生成失败，平台已记录此故障；请稍后再试，或先使用网页版报告",
                           retry_after=PDF_RENDER_STALE_SECONDS)
            stale = (now - last).total_seconds() > PDF_RENDER_STALE_SECONDS
            if job.status != PdfRenderStatus.FAILED and not stale:
                return pdf_retry_after(items, started_at=job.started_at, now=now)
            job.status, job.requested_at, job.started_at = PdfRenderStatus.QUEUED, now, None
            job.save(update_fields=["status", "requested_at", "started_at"])
        tasks.render_report_pdf.enqueue(job.pk)
    return pdf_retry_after(items)


def render_queued(job_id: int) -> None:
    """Task body: render the PDF queued as ``PdfRender`` ``job_id`` and keep it (``report_pdf``).

    The report is assembled again as the reader of the request, on the report's day; only if its
    content digest is still the issued one is it rendered (a record collected, objected to or
    expired in between, or an authorisation withdrawn, changes the content: the job is dropped and
    the next request issues the new report). One task per job at a time (an advisory lock); the
    render takes a render slot like any other. A failure is logged and recorded on the job, which
    the next request for the PDF queues again.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [_PDF_JOB_LOCK, job_id])
        if not cursor.fetchone()[0]:
            return  # another worker is rendering it
    try:
        _render_job(job_id)
    finally:
        _unlock(_PDF_JOB_LOCK, job_id)


def _render_job(job_id: int) -> None:
    from pubcredit.reports import pdf

    job = PdfRender.objects.select_related("report", "report__subject").filter(pk=job_id).first()
    if job is None:
        return  # rendered already
    row = job.report

    def kept() -> bool:  # rendered already, with this job's verify link
        found = (ReportPdf.objects.filter(report=row, template_version=job.template_version)
                 .values_list("pdf", flat=True).first())
        return found is not None and pdf.prints_verify_url(bytes(found), job.verify_url)

    if job.template_version != pdf.TEMPLATE_VERSION or kept():
        job.delete()
        return
    PdfRender.objects.filter(pk=job.pk).update(status=PdfRenderStatus.RENDERING, started_at=timezone.now(),
                                               attempts=F("attempts") + 1, error="")
    try:
        special = None
        if row.kind == ReportKind.SPECIAL:
            p = row.parameters
            special = queries.special_request(date_from=date.fromisoformat(p["from"]),
                                              date_to=date.fromisoformat(p["to"]), classes=p["classes"],
                                              today=row.as_of)
        report, _, _ = _assemble(row.subject, reader=Reader(**job.reader), today=row.as_of, special=special)
        body = rules.canonical_bytes(report.content())
        if rules.digest_of(body) != row.content_digest:
            log.info("PDF of report %s not rendered: its content has changed since it was issued", row.code)
            job.delete()
            return
        issued = Issued(report, row, body)
        with _render_slot(wait=_TASK_SLOT_WAIT_SECONDS):
            started = time.perf_counter()
            rendered = pdf.render(issued, verify_url=job.verify_url)
            elapsed_ms = int((time.perf_counter() - started) * 1000)
            with transaction.atomic():
                _keep_pdf(row, rendered, render_ms=elapsed_ms)
                job.delete()
    except PubcreditError as exc:  # the reader may no longer read it (e.g. an authorisation withdrawn)
        log.info("PDF of report %s not rendered: %s", row.code, exc.message)
        PdfRender.objects.filter(pk=job.pk).delete()
    except Exception as exc:
        log.exception("rendering the PDF of report %s failed", row.code)
        PdfRender.objects.filter(pk=job.pk).update(status=PdfRenderStatus.FAILED, error=repr(exc)[:2000])


# --- housekeeping --------------------------------------------------------------------------------

#: PDFs of reports issued this many days before today, or earlier, are deleted (``purge_old_pdfs``).
PDF_KEEP_DAYS = 2
#: Advisory lock key of a housekeeping run: one at a time across the task workers.
_HOUSEKEEPING_LOCK = 0x5054
HOUSEKEEPING_INTERVAL_SECONDS = 3600.0


def purge_old_pdfs(*, today: date | None = None, batch_size: int = 1000) -> tuple[int, int]:
    """Delete the PDFs, and queued renders, of reports issued ``PDF_KEEP_DAYS`` days ago or earlier.

    A PDF is handed out only for the report of the day it is asked for (its content carries the
    day, ``as_of``, so yesterday's report is never today's), so these can never be served again,
    and each is 0.3–1.2 MB. The issued rows stay: verification reads their digest and signature,
    and the PDF in a holder's hands carries its own proof. Returns (PDFs, renders) deleted.
    """
    cutoff = (today or timezone.localdate()) - timedelta(days=PDF_KEEP_DAYS - 1)
    pdfs = 0
    while True:
        ids = list(ReportPdf.objects.filter(report__as_of__lt=cutoff).values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        pdfs += ReportPdf.objects.filter(pk__in=ids).delete()[0]
    renders, _ = PdfRender.objects.filter(report__as_of__lt=cutoff).delete()
    return pdfs, renders


@dataclass(frozen=True)
class Housekeeping:
    pdfs: int
    renders: int
    batch_jobs: int
    ran: bool = True  # False: another worker was running it


def housekeeping(*, now: datetime | None = None) -> Housekeeping:
    """What the reports app deletes when its time is up: old PDFs (``purge_old_pdfs``) and batch
    query answers past their keeping period (``batch.purge_results``). One run at a time across
    the task workers (an advisory lock; a second caller returns at once)."""
    from pubcredit.reports import batch

    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, 0)", [_HOUSEKEEPING_LOCK])
        if not cursor.fetchone()[0]:
            return Housekeeping(0, 0, 0, ran=False)
    try:
        pdfs, renders = purge_old_pdfs(today=timezone.localdate(now))
        jobs = batch.purge_results(now=now)
    finally:
        _unlock(_HOUSEKEEPING_LOCK, 0)
    if pdfs or renders or jobs:
        log.info("housekeeping: deleted %d old PDFs, %d stale PDF renders, the answers of %d batch queries",
                 pdfs, renders, jobs)
    return Housekeeping(pdfs, renders, jobs)


def housekeeping_forever(interval: float = HOUSEKEEPING_INTERVAL_SECONDS, *,
                         stop: threading.Event | None = None) -> None:
    """``housekeeping`` every ``interval`` seconds, first after a minute, for as long as a task worker runs."""
    from django.db import close_old_connections

    stop = stop or threading.Event()
    wait = min(60.0, interval)
    while not stop.wait(wait):
        wait = interval
        try:
            housekeeping()
        except DatabaseError:
            log.warning("reports housekeeping failed; trying again in %.0f s", interval, exc_info=True)
        finally:
            close_old_connections()
