"""The verify link printed in a PDF (text and QR code) never depends on an earlier reader's request.

With ``PUBCREDIT_PUBLIC_URL`` set every PDF prints it, whatever host the request came in on, and a
cached PDF is served to all. Without it (demo, tests) the link follows the request's host, and a PDF
kept for another host is not handed out: it is rendered again with this host's link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pubcredit.access import tokens
from pubcredit.reports import pdf, services
from pubcredit.reports.models import PdfRender, ReportPdf
from tests.factories.tasks import run_worker
from tests.reports.conftest import Company
from tests.reports.read_paths import pdf_text

pytestmark = pytest.mark.django_db

HOSTS = ["127.0.0.1", "credit.example.gov.cn", "testserver"]


def _text(data: bytes) -> str:
    return "".join(pdf_text(data).split())


def _no_render(monkeypatch: pytest.MonkeyPatch) -> None:
    def render(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered again")

    monkeypatch.setattr(pdf, "render", render)


def test_without_a_public_url_each_host_gets_a_pdf_with_its_own_link(company: Company, settings: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ALLOWED_HOSTS = HOSTS
    settings.PUBCREDIT_PUBLIC_URL = ""
    url = f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    first = Client().get(url, HTTP_HOST="127.0.0.1")
    second = Client().get(url, HTTP_HOST="credit.example.gov.cn")
    assert (first.status_code, second.status_code) == (200, 200)
    code = first["X-Report-Verification-Code"]
    assert second["X-Report-Verification-Code"] == code  # the same report
    assert f"http://127.0.0.1/verify/{code}/" in _text(first.content)
    text = _text(second.content)
    assert f"http://credit.example.gov.cn/verify/{code}/" in text
    assert "127.0.0.1" not in text
    assert pdf.prints_verify_url(second.content, f"http://credit.example.gov.cn/verify/{code}/")
    assert ReportPdf.objects.count() == 1  # one kept per report: the last host's

    _no_render(monkeypatch)  # the same host again: from the cache
    again = Client().get(url, HTTP_HOST="credit.example.gov.cn")
    assert again.content == second.content


def test_with_a_public_url_every_host_gets_it_and_the_cached_pdf(company: Company, settings: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    settings.ALLOWED_HOSTS = HOSTS
    settings.PUBCREDIT_PUBLIC_URL = "https://credit.hangzhou.gov.cn/"
    url = f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    first = Client().get(url, HTTP_HOST="127.0.0.1")
    assert first.status_code == 200
    code = first["X-Report-Verification-Code"]
    text = _text(first.content)
    assert f"https://credit.hangzhou.gov.cn/verify/{code}/" in text
    assert "127.0.0.1" not in text

    _no_render(monkeypatch)
    other = Client().get(url, HTTP_HOST="credit.example.gov.cn")
    page = Client().get(f"/subjects/{company.subject.uscc}/report.pdf", HTTP_HOST="testserver")
    assert other.content == first.content
    assert page.content == first.content
    js = Client().get(f"/api/v1/subjects/{company.subject.uscc}/report", HTTP_HOST="credit.example.gov.cn").json()
    assert js["links"]["verify"] == f"https://credit.hangzhou.gov.cn/verify/{code}/"


def test_a_background_pdf_kept_for_another_host_is_rendered_again(company: Company, settings: Any) -> None:
    settings.ALLOWED_HOSTS = HOSTS
    settings.PUBCREDIT_PUBLIC_URL = ""
    settings.PUBCREDIT_PDF_INLINE_ITEMS = 2  # the company's report counts as large
    secret = tokens.create_agency_token(company.bank, name="授信系统", actor="test").secret
    bank = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/subjects/{company.subject.uscc}/report.pdf"
    assert Client().get(url, headers=bank, HTTP_HOST="127.0.0.1").status_code == 202
    assert run_worker() == 1
    assert Client().get(url, headers=bank, HTTP_HOST="127.0.0.1").status_code == 200

    pending = Client().get(url, headers=bank, HTTP_HOST="credit.example.gov.cn")
    assert pending.status_code == 202  # the kept PDF prints 127.0.0.1: rendered again for this host
    code = pending.json()["verification_code"]
    assert PdfRender.objects.get().verify_url == f"http://credit.example.gov.cn/verify/{code}/"
    assert run_worker() == 1
    done = Client().get(url, headers=bank, HTTP_HOST="credit.example.gov.cn")
    assert done.status_code == 200
    text = _text(done.content)
    assert f"http://credit.example.gov.cn/verify/{code}/" in text
    assert "127.0.0.1" not in text
    assert not PdfRender.objects.exists()


def test_a_pdf_names_the_verify_link_it_prints(company: Company) -> None:
    issued = services.issue_report(company.subject, reader=company.own)
    link = f"https://credit.hangzhou.gov.cn/verify/{issued.code}/"
    data = pdf.render(issued, verify_url=link).data
    assert pdf.prints_verify_url(data, link)
    assert not pdf.prints_verify_url(data, f"http://127.0.0.1/verify/{issued.code}/")
    assert not pdf.prints_verify_url(b"%PDF-1.7 rendered before the link was named", link)
    assert not pdf.prints_verify_url(b"", link)
