"""A PDF rendered while its request waits logs the read once, when it is handed out: never for a
503 (every render slot busy) nor for a failed render (500); the retry that gets the PDF logs one row."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.test import Client

from pubcredit.access import tokens
from pubcredit.access.models import QueryLog
from pubcredit.audit.models import AuditEntry
from pubcredit.reports import pdf, services
from pubcredit.reports.models import IssuedReport, ReportPdf
from tests.reports.conftest import Company
from tests.reports.test_pdf_slots import _url

pytestmark = pytest.mark.django_db


def _bank(company: Company) -> dict[str, str]:
    secret = tokens.create_agency_token(company.bank, name="授信系统", actor="test").secret
    return {"Authorization": f"Bearer {secret}"}


def _fake(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    rendered: list[str] = []

    def render(issued: Any, *, verify_url: str) -> pdf.RenderedPdf:
        rendered.append(verify_url)
        return pdf.RenderedPdf(data=b"%PDF-1.7 test", pages=1)

    monkeypatch.setattr(pdf, "render", render)
    return rendered


def test_a_pdf_refused_for_busy_render_slots_is_not_logged(company: Company, settings: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PUBCREDIT_PDF_RENDERS_AT_ONCE = 1
    _fake(monkeypatch)
    bank, url = _bank(company), f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    with psycopg.connect(_url(), autocommit=True) as other:  # another process holds the only slot
        other.execute("SELECT pg_advisory_lock(%s, 0)", [services._PDF_SLOT_LOCK])
        busy = Client().get(url, headers=bank)
        assert busy.status_code == 503
        assert not QueryLog.objects.exists()  # nothing handed out
        assert IssuedReport.objects.count() == 1  # the report is issued all the same
        other.execute("SELECT pg_advisory_unlock(%s, 0)", [services._PDF_SLOT_LOCK])
    done = Client().get(url, headers=bank)
    assert done.status_code == 200
    log = QueryLog.objects.get()  # the retry that got the PDF: one row
    assert (log.agency_id, log.levels) == (company.bank.pk, ["authorized"])
    assert AuditEntry.objects.filter(event="reports:report:issued").count() == 1  # issued once, same report
    assert Client().get(url, headers=bank).status_code == 200  # from the cache: each PDF handed out is a read
    assert QueryLog.objects.count() == 2


def test_a_failed_render_is_not_logged(company: Company, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("font cache unreadable")

    monkeypatch.setattr(pdf, "render", broken)
    res = Client(raise_request_exception=False).get(f"/api/v1/subjects/{company.subject.uscc}/report.pdf",
                                                    headers=_bank(company))
    assert res.status_code == 500
    assert not QueryLog.objects.exists()
    assert not ReportPdf.objects.exists()


def test_a_readiness_check_is_not_logged_and_the_download_once(company: Company,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal's readiness check (``?wait=1``) hands nothing out; the download is logged once."""
    rendered = _fake(monkeypatch)
    answer = services.report_pdf(company.subject, reader=company.bank_reader, deliver=False,
                                 verify_url=lambda code: f"http://testserver/verify/{code}/")
    assert (answer.ready, answer.data) == (True, None)
    assert not QueryLog.objects.exists()
    answer = services.report_pdf(company.subject, reader=company.bank_reader,
                                 verify_url=lambda code: f"http://testserver/verify/{code}/")
    assert answer.data == b"%PDF-1.7 test"
    assert len(rendered) == 1
    assert QueryLog.objects.count() == 1
