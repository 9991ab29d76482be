"""The report page (phone-first) and the PDF: A4, Chinese text, page numbers, QR, embedded proof, cache.

PDF rendering is slow on two cores: one full render here, plus the access matrix's PDF path.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from pubcredit.access.models import Role, User
from pubcredit.reports import pdf as report_pdf
from pubcredit.reports import rules, signing
from pubcredit.reports.models import ReportPdf
from pubcredit.reports.templatetags.reports_format import WIDE_VALUE, field_rows
from tests.factories import collection as rf
from tests.factories import subjects as f
from tests.reports.conftest import Company
from tests.reports.read_paths import pdf_text

pytestmark = pytest.mark.django_db

RARE = "\U0002a6d6"  # CJK Extension B: in HanaMinB (fonts-hanazono), not in Noto CJK


def _poppler(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} not found: install the Debian package poppler-utils")
        pytest.skip(f"{tool} (poppler-utils) not installed")
    return exe


def test_report_page_reads_on_a_phone_and_links_the_pdf(company: Company) -> None:
    client = Client()
    subject_page = client.get(f"/subjects/{company.subject.uscc}/").content.decode()
    assert f'href="/subjects/{company.subject.uscc}/report/"' in subject_page
    assert "下载信用报告" in subject_page
    res = client.get(f"/subjects/{company.subject.uscc}/report/")
    html = res.content.decode()
    assert res.status_code == 200
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "/static/reports/reports.css" in html
    assert f"/subjects/{company.subject.uscc}/report.pdf" in html
    for title in rules.SECTION_TITLES.values():
        assert title in html
    assert "自主申报" in html
    assert 'src="data:image/png;base64,' in html  # the QR code, inline: no external request
    code = re.search(r"[0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3}", html)
    assert code is not None
    assert f"/verify/{code.group(0)}/" in html
    assert "下载 PDF 报告" in html


def test_person_report_page_uses_the_opaque_key_and_masks_for_the_public() -> None:
    person = f.person(name="赵钱孙")
    res = Client().get(f"/subjects/{person.public_ref}/report/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "赵*孙" in html
    assert "赵钱孙" not in html
    assert Client().get("/subjects/00000000-0000-0000-0000-000000000000/report/").status_code == 404
    assert Client().get("/subjects/91330106MA0AEH7Y1Y/report/").status_code in (400, 404)


def test_pdf_is_a4_chinese_numbered_with_qr_and_embedded_proof(company: Company, tmp_path: Path,
                                                              monkeypatch: Any) -> None:
    rare = f.org(name=f"杭州{RARE}记测试有限公司")
    penalty = rf.record(rare, company.versions["penalty"], decision=company.records["penalty"].decision_date)
    client = Client()
    res = client.get(f"/api/v1/subjects/{rare.uscc}/report.pdf")
    assert res.status_code == 200
    assert res["Content-Type"] == "application/pdf"
    code, digest = res["X-Report-Verification-Code"], res["X-Report-Digest"]
    data = res.content
    assert data.startswith(b"%PDF-")
    path = tmp_path / "report.pdf"
    path.write_bytes(data)

    info = subprocess.run([_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert digest in info
    assert code in info

    text = pdf_text(data)
    assert "公共信用信息报告" in text
    assert f"杭州{RARE}记测试有限公司" in text  # the rare character survives (HanaMinB)
    assert "行政处罚信息（市场监管）" in text
    # The record's fields as a table: each label beside its value (pdftotext -layout keeps the row).
    # Its two short fields share a row: label, value, label, value.
    row = r"行政处罚决定书文号 +" + re.escape(penalty.data["CF_WSH"]) + r" +违法事实 +经查，测试事实"
    assert re.search(row, text), text
    assert "查询方" in text
    assert "社会公众" in text
    assert "出具时间" in text
    assert re.search(r"第\s*1\s*页\s*共\s*" + str(pages) + r"\s*页", text)
    assert code in text
    assert digest[:32] in text.replace("\n", "").replace(" ", "")

    fonts = subprocess.run([_poppler("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert "Noto-Sans-CJK-SC" in fonts
    assert "HanaMinB" in fonts
    images = subprocess.run([_poppler("pdfimages"), "-list", str(path)], capture_output=True, text=True,  # noqa: S603
                            check=True).stdout
    assert len(images.strip().splitlines()) >= 3  # two heading lines, then the QR code image

    subprocess.run([_poppler("pdfdetach"), "-saveall", "-o", str(tmp_path), str(path)], check=True)  # noqa: S603
    embedded = (tmp_path / report_pdf.ATTACHMENT_NAME).read_bytes()
    assert hashlib.sha256(embedded).hexdigest() == digest  # offline check: the embedded JSON is the content
    custom = subprocess.run([_poppler("pdfinfo"), "-custom", str(path)], capture_output=True, text=True,  # noqa: S603
                            check=True).stdout
    meta = {k: v.strip() for k, v in (line.split(":", 1) for line in custom.splitlines()
                                      if line.startswith("pubcredit"))}
    assert meta["pubcreditcontentsha256"] == digest
    assert meta["pubcreditverificationcode"] == code
    assert f"|{code}|{digest}|" in meta["pubcreditsignedmessage"]
    assert signing.signature_valid(meta["pubcreditpublickey"], meta["pubcreditsignedmessage"].encode(),
                                   meta["pubcreditsignatureed25519"])

    # Same content again: served from the cache, not rendered twice.
    def no_render(*args: object, **kwargs: object) -> None:
        raise AssertionError("rendered twice")

    monkeypatch.setattr(report_pdf, "render", no_render)
    again = client.get(f"/api/v1/subjects/{rare.uscc}/report.pdf")
    assert again.content == data
    assert ReportPdf.objects.filter(report__code=code.replace("-", "")).count() == 1


def test_portal_pdf_download_for_the_logged_in_subject(company: Company, monkeypatch: Any) -> None:
    rendered: list[str] = []

    def fake_render(issued: Any, *, verify_url: str) -> report_pdf.RenderedPdf:
        rendered.append(verify_url)
        return report_pdf.RenderedPdf(data=b"%PDF-1.7 fake", pages=1)

    monkeypatch.setattr(report_pdf, "render", fake_render)
    client = Client()
    client.force_login(User.objects.create_user(username="own-pdf", password="x-Long-pass-1", role=Role.SUBJECT,
                                                subject=company.subject))
    res = client.get(f"/subjects/{company.subject.uscc}/report.pdf")
    assert res.status_code == 200
    assert res["Content-Disposition"].startswith('attachment; filename="credit-report-')
    assert rendered
    assert "/verify/" in rendered[0]
    issued_row = ReportPdf.objects.get().report
    assert issued_row.reader_basis == "own"


def test_pdf_record_tables_pair_short_fields_and_give_long_ones_a_row() -> None:
    long = "经查，当事人在经营场所销售超过保质期的食品"
    assert len(long) > WIDE_VALUE
    fields = [("A", "甲", "1"), ("B", "乙", "2"), ("C", "丙", "3"), ("SY", "事实", long), ("D", "丁", "4"),
              ("E", "戊", "5"), ("F", "己", "6")]
    assert field_rows(fields, "penalty-scjg") == [
        (("甲", "1"), ("乙", "2")),
        (("丙", "3"),),  # alone before the long one: catalog order is kept, reading left to right
        (("事实", long),),
        (("丁", "4"), ("戊", "5")),
        (("己", "6"),),
    ]
    assert field_rows([], "penalty-scjg") == []
    assert field_rows([("X", "x", "y" * WIDE_VALUE)], "penalty-scjg") == [(("x", "y" * WIDE_VALUE),)]  # not wide
