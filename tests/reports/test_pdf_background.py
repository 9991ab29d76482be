"""A large report's PDF is rendered by a task worker: 202 / a "being prepared" page, then the PDF (issue #5 item 2).

``PUBCREDIT_PDF_INLINE_ITEMS`` is lowered so that the test company's report (a handful of records)
counts as large; each test renders at most one PDF.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pubcredit.access import tokens
from pubcredit.access.models import QueryLog
from pubcredit.reports import pdf, services, tasks
from pubcredit.reports.models import IssuedReport, PdfRender, PdfRenderStatus, ReportPdf
from tests.factories import collection as rf
from tests.factories.tasks import run_worker
from tests.reports.conftest import Company

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_inline_limit(settings: Any) -> None:
    settings.PUBCREDIT_PDF_INLINE_ITEMS = 2


def _bank(company: Company) -> dict[str, str]:
    secret = tokens.create_agency_token(company.bank, name="授信系统", actor="test").secret
    return {"Authorization": f"Bearer {secret}"}


def _queued() -> int:
    return DBTaskResult.objects.filter(queue_name=tasks.PDF_QUEUE).ready().count()


def test_api_answers_202_while_a_worker_renders_then_the_pdf_with_the_same_code(company: Company) -> None:
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    first = Client().get(url, headers=bank)
    assert first.status_code == 202, first.content
    body = first.json()
    assert body["code"] == "pdf_pending"
    assert body["retry_after"] == services.PDF_RETRY_MIN_SECONDS  # a few records: a few seconds
    assert body["items"] >= 3
    assert f"共 {body['items']} 条记录" in body["message"]
    assert (first["Retry-After"], first["Location"]) == ("5", url)
    code = body["verification_code"]
    assert first["X-Report-Verification-Code"] == code
    job = PdfRender.objects.get()
    assert (job.status, job.report.code, job.reader["agency_id"]) == (PdfRenderStatus.QUEUED, code.replace("-", ""),
                                                                     company.bank.pk)
    assert _queued() == 1
    assert not QueryLog.objects.exists()  # nothing handed out yet: no read logged

    again = Client().get(url, headers=bank)  # asked again before the worker ran: same report, no second task
    assert (again.status_code, again.json()["verification_code"]) == (202, code)
    assert (_queued(), PdfRender.objects.count(), IssuedReport.objects.count()) == (1, 1, 1)
    assert not QueryLog.objects.exists()

    assert run_worker() == 1
    assert not PdfRender.objects.exists()
    stored = ReportPdf.objects.get()
    assert (stored.report.code, stored.template_version) == (code.replace("-", ""), pdf.TEMPLATE_VERSION)

    done = Client().get(url, headers=bank)
    assert done.status_code == 200
    assert done["Content-Type"] == "application/pdf"
    assert done["Content-Disposition"] == f'attachment; filename="credit-report-{code}.pdf"'
    assert done["X-Report-Verification-Code"] == code
    assert done.content == bytes(stored.pdf)
    assert QueryLog.objects.count() == 1  # logged when the PDF was handed out, once
    assert QueryLog.objects.get().agency_id == company.bank.pk
    assert Client().get(url, headers=bank).status_code == 200  # each PDF handed out is a read
    assert QueryLog.objects.count() == 2


def test_portal_shows_a_waiting_page_then_starts_the_download(company: Company) -> None:
    url = f"/subjects/{company.subject.uscc}/report.pdf"
    client = Client()
    report_page = client.get(f"/subjects/{company.subject.uscc}/report/").content.decode()
    assert "记录较多，PDF 将在后台生成，约需 1 秒" in report_page  # said before the visitor asks
    first = client.get(url)
    assert first.status_code == 202
    assert first["Retry-After"] == "5"
    html = first.content.decode()
    assert "正在生成 PDF 报告" in html
    assert f'<meta http-equiv="refresh" content="5;url={url}?wait=1">' in html
    assert f'href="/subjects/{company.subject.uscc}/report/"' in html  # read the page version meanwhile
    code = PdfRender.objects.get().report.code

    waiting = client.get(f"{url}?wait=1")
    assert waiting.status_code == 202
    assert "正在生成 PDF 报告" in waiting.content.decode()
    assert _queued() == 1

    assert run_worker() == 1
    ready = client.get(f"{url}?wait=1")
    assert ready.status_code == 200
    page = ready.content.decode()
    assert "PDF 报告已生成" in page
    assert f'<meta http-equiv="refresh" content="0;url={url}">' in page  # the download starts by itself
    assert f'href="{url}"' in page
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert code[:4] in download["Content-Disposition"]


def test_special_report_pdf_in_the_background_keeps_its_period_and_classes(company: Company,
                                                                             settings: Any) -> None:
    settings.PUBCREDIT_PDF_INLINE_ITEMS = 0  # even one record
    bank = _bank(company)
    today = timezone.localdate()
    query = f"from={(today - timedelta(days=365)).isoformat()}&to={today.isoformat()}&classes=penalty,other_adverse"
    url = f"/api/v1/subjects/{company.subject.uscc}/special-report.pdf?{query}"
    first = Client().get(url, headers=bank)
    assert first.status_code == 202, first.content
    assert first["Location"] == url
    row = IssuedReport.objects.get()
    assert row.parameters["classes"] == ["penalty", "other_adverse"]
    assert run_worker() == 1
    assert ReportPdf.objects.filter(report=row).exists()  # the worker assembled the same content
    done = Client().get(url, headers=bank)
    assert done.status_code == 200
    assert done["X-Report-Verification-Code"] == first.json()["verification_code"]


def test_a_report_that_changed_before_the_worker_ran_is_not_rendered(company: Company,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    first = Client().get(url, headers=bank).json()["verification_code"]
    rf.record(company.subject, company.versions["penalty"], decision=timezone.localdate() - timedelta(days=3))
    with caplog.at_level(logging.INFO, logger="pubcredit.reports.services"):
        assert run_worker() == 1
    assert not ReportPdf.objects.exists()  # never a PDF whose content differs from the issued digest
    assert not PdfRender.objects.exists()
    assert "its content has changed" in caplog.text
    second = Client().get(url, headers=bank)
    assert second.status_code == 202
    assert second.json()["verification_code"] != first  # the new content is a new report
    assert _queued() == 1


def test_a_failed_render_is_tried_again_then_refused_with_503(company: Company, monkeypatch: pytest.MonkeyPatch,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(pdf, "render", broken)
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    assert Client().get(url, headers=bank).status_code == 202
    for attempt in range(1, services.PDF_RENDER_ATTEMPTS + 1):
        assert run_worker() == 1
        job = PdfRender.objects.get()
        assert (job.status, job.attempts) == (PdfRenderStatus.FAILED, attempt)
        assert "font cache unreadable" in job.error
        answer = Client().get(url, headers=bank)
        if attempt < services.PDF_RENDER_ATTEMPTS:
            assert answer.status_code == 202  # queued again
            assert _queued() == 1
    assert "rendering the PDF of report" in caplog.text
    assert answer.status_code == 503
    assert answer["Retry-After"] == str(services.PDF_RENDER_STALE_SECONDS)
    assert answer.json()["code"] == "busy"
    assert "多次生成失败" in answer.json()["message"]
    assert _queued() == 0
    assert not QueryLog.objects.exists()


def test_a_job_whose_worker_stopped_is_queued_again(company: Company) -> None:
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    assert Client().get(url, headers=bank).status_code == 202
    DBTaskResult.objects.all().delete()  # the worker that took it was killed; its task is gone
    PdfRender.objects.update(status=PdfRenderStatus.RENDERING,
                             started_at=timezone.now() - timedelta(seconds=services.PDF_RENDER_STALE_SECONDS - 30))
    assert Client().get(url, headers=bank).status_code == 202
    assert _queued() == 0  # not yet stale: perhaps still rendering
    PdfRender.objects.update(started_at=timezone.now() - timedelta(seconds=services.PDF_RENDER_STALE_SECONDS + 1))
    assert Client().get(url, headers=bank).status_code == 202
    assert _queued() == 1
    assert PdfRender.objects.get().status == PdfRenderStatus.QUEUED
    assert run_worker() == 1
    assert Client().get(url, headers=bank).status_code == 200


def test_a_report_within_the_inline_limit_is_rendered_while_the_request_waits(company: Company,
                                                                              settings: Any) -> None:
    settings.PUBCREDIT_PDF_INLINE_ITEMS = 60
    assert "PDF 将在后台生成" not in Client().get(f"/subjects/{company.subject.uscc}/report/").content.decode()
    res = Client().get(f"/subjects/{company.subject.uscc}/report.pdf")
    assert res.status_code == 200
    assert res["Content-Type"] == "application/pdf"
    assert not PdfRender.objects.exists()
    assert _queued() == 0


def test_the_back_office_shows_a_failed_render_with_its_error(company: Company,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from pubcredit.access.models import User
    from tests.access.helpers import verified_client

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(pdf, "render", broken)
    code = Client().get(f"/api/v1/subjects/{company.subject.uscc}/report.pdf",
                        headers=_bank(company)).json()["verification_code"]
    assert run_worker() == 1
    client = verified_client(User.objects.create_superuser(username="root-admin", password="x-Long-pass-1",
                                                           email=""))
    listing = client.get("/admin/reports/pdfrender/?status=failed")
    assert listing.status_code == 200
    assert code in listing.content.decode()
    assert "font cache unreadable" in listing.content.decode()
    job = PdfRender.objects.get()
    detail = client.get(f"/admin/reports/pdfrender/{job.pk}/change/").content.decode()
    assert "font cache unreadable" in detail
    assert 'name="error"' not in detail  # shown, not editable
    assert client.get(f"/admin/reports/pdfrender/{job.pk}/delete/").status_code == 403


def test_clients_are_told_to_come_back_when_the_render_should_be_done() -> None:
    """Estimated from the render benchmark (≈ 0.05 s a record), within 5–30 s, less the time already spent."""
    assert services.pdf_retry_after(61) == 5
    assert services.pdf_retry_after(100) == 7  # 0.5 + 5 + 1 s
    assert services.pdf_retry_after(389) == 21  # ≈ 19.5 s to render, and a second
    assert services.pdf_retry_after(5000) == 30
    now = timezone.now()
    assert services.pdf_retry_after(389, started_at=now - timedelta(seconds=10), now=now) == 11
    assert services.pdf_retry_after(389, started_at=now - timedelta(seconds=40), now=now) == 5  # overdue: soon


def test_a_job_being_rendered_elsewhere_is_left_alone_and_a_second_task_renders_nothing(company: Company) -> None:
    import psycopg
    from django.conf import settings as django_settings

    db = django_settings.DATABASES["default"]
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    assert Client().get(url, headers=bank).status_code == 202
    job = PdfRender.objects.get()
    dsn = (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
           f"user={db['USER']} password={db.get('PASSWORD') or ''}")
    with psycopg.connect(dsn, autocommit=True) as other:  # another worker holds the job
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services._PDF_JOB_LOCK, job.pk])
        services.render_queued(job.pk)
        assert PdfRender.objects.get().attempts == 0  # not touched
        assert not ReportPdf.objects.exists()
        other.execute("SELECT pg_advisory_unlock(%s, %s)", [services._PDF_JOB_LOCK, job.pk])
    services.render_queued(job.pk)
    services.render_queued(job.pk)  # a duplicate task: the job is gone, nothing to do
    assert ReportPdf.objects.count() == 1
    assert not PdfRender.objects.exists()


# --- housekeeping ------------------------------------------------------------------------------

def test_pdfs_of_reports_from_before_yesterday_are_deleted_and_the_issued_rows_kept(company: Company) -> None:
    from pubcredit.access.readers import PUBLIC

    today = timezone.localdate()
    rows = {}
    for days in (0, 1, 2, 5):
        issued = services.issue_report(company.subject, reader=PUBLIC, today=today - timedelta(days=days))
        rows[days] = issued.row
        ReportPdf.objects.create(report=issued.row, template_version=pdf.TEMPLATE_VERSION, pdf=b"%PDF-1.7 test",
                                 pages=1, render_ms=1)
    PdfRender.objects.create(report=rows[5], template_version=pdf.TEMPLATE_VERSION, reader={}, verify_url="x",
                             requested_at=timezone.now())
    done = services.housekeeping()
    assert (done.pdfs, done.renders, done.batch_jobs, done.ran) == (2, 1, 0, True)
    assert set(ReportPdf.objects.values_list("report__as_of", flat=True)) == {today, today - timedelta(days=1)}
    assert IssuedReport.objects.count() == 4  # what verification reads stays
    assert services.housekeeping().pdfs == 0


def test_one_housekeeping_run_at_a_time(company: Company) -> None:
    import psycopg
    from django.conf import settings as django_settings

    db = django_settings.DATABASES["default"]
    dsn = (f"host={db['HOST'] or '127.0.0.1'} port={db['PORT'] or 5432} dbname={db['NAME']} "
           f"user={db['USER']} password={db.get('PASSWORD') or ''}")
    with psycopg.connect(dsn, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, 0)", [services._HOUSEKEEPING_LOCK])
        assert services.housekeeping().ran is False
        # Given back before the connection closes: a closing session frees its locks a moment later.
        other.execute("SELECT pg_advisory_unlock(%s, 0)", [services._HOUSEKEEPING_LOCK])
        assert services.housekeeping().ran is True


def test_the_task_worker_runs_housekeeping_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    stop = threading.Event()
    calls: list[int] = []

    def counted(**kwargs: object) -> services.Housekeeping:
        calls.append(1)
        if len(calls) == 2:
            stop.set()
        return services.Housekeeping(0, 0, 0)

    monkeypatch.setattr(services, "housekeeping", counted)
    worker = threading.Thread(target=services.housekeeping_forever, kwargs={"interval": 0.01, "stop": stop})
    worker.start()
    worker.join(timeout=10)
    assert not worker.is_alive()
    assert len(calls) == 2


def test_a_full_render_queue_refuses_another_large_pdf_but_not_one_already_waiting(
        company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "PDF_QUEUE_MAX", 1)
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    assert Client().get(url, headers=bank).status_code == 202  # the one slot of the queue
    other = Client().get(f"/subjects/{company.subject.uscc}/report.pdf")  # the public's report: another PDF
    assert other.status_code == 503
    assert other["Retry-After"] == str(services.PDF_QUEUE_FULL_RETRY_SECONDS)
    assert "生成的 PDF 报告较多" in other.content.decode()
    assert Client().get(url, headers=bank).status_code == 202  # the waiting one is still answered
    PdfRender.objects.update(requested_at=timezone.now() - timedelta(seconds=services.PDF_RENDER_STALE_SECONDS + 1))
    assert Client().get(f"/subjects/{company.subject.uscc}/report.pdf").status_code == 202  # a stale one does not count
    assert DBTaskResult.objects.filter(queue_name=tasks.PDF_QUEUE).first().priority == tasks.PDF_PRIORITY
