"""PDF rendering of issued reports with WeasyPrint (A4, Chinese fonts, page numbers, QR code).

Fonts come from the system (Debian ``fonts-noto-cjk`` and ``fonts-hanazono`` for the rare
characters of names in CJK Extension B); nothing is fetched: the only resources allowed are
``data:`` URIs. The PDF carries its own proof: the verification code, digest, signature and
key id in its metadata and text, and the canonical JSON of the content as an embedded file
(``report-content.json``) whose SHA-256 is the digest — see docs/reports.md.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import qrcode  # type: ignore[import-untyped]
from django.template.loader import render_to_string
from django.utils import timezone

from pubcredit.reports import rules, signing

if TYPE_CHECKING:
    from pubcredit.reports.services import Issued

#: Bump when the PDF layout changes: cached PDFs of the old layout are then rendered anew.
#: 2: a record's fields as a table, two to a row (was one per line, laid out as a CSS grid).
#: 3: a date field's value as 2026年8月29日 (was the ISO date of the report content).
TEMPLATE_VERSION = 3
ATTACHMENT_NAME = "report-content.json"


@dataclass(frozen=True)
class RenderedPdf:
    data: bytes
    pages: int


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as a PNG data URI (error correction M, no quiet-zone trimming)."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=6, border=2)
    qr.add_data(text)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def context(issued: Issued, *, verify_url: str) -> dict[str, Any]:
    """What the page and PDF templates show: the report content, and the issue's verification block."""
    ver = issued.verification()
    return {
        "r": issued.content, "report": issued.report, "v": ver,
        "issued_at_local": timezone.localtime(issued.row.issued_at),
        "verify_url": verify_url, "qr": qr_data_uri(verify_url),
        "public_key": signing.platform_key().public_b64,
    }


def file_identifier(verify_url: str) -> bytes:
    """The PDF's file identifier (the first element of the trailer's ``/ID``): names the verify link
    the PDF prints (text and QR code), which contains the report's code. A cached PDF is handed out
    only to a request whose verify link it names (``prints_verify_url``)."""
    return hashlib.sha256(verify_url.encode("utf-8")).hexdigest()[:32].encode("ascii")


def prints_verify_url(data: bytes, verify_url: str) -> bool:
    """Whether the PDF ``data`` was rendered with ``verify_url`` as its verify link (its file
    identifier, ``file_identifier``). The identifier is in the file's trailer: the dictionary of the
    cross-reference stream that the last ``startxref`` points at (WeasyPrint writes compressed PDFs
    so), or a classic trailer just before ``startxref``. False for anything else, e.g. a PDF rendered
    before the identifier was written: it is then rendered again, which is always safe."""
    marker = b"/ID [(" + file_identifier(verify_url) + b")"
    tail = data[-1024:]
    at = tail.rfind(b"startxref")
    if at < 0:
        return False
    if marker in tail:
        return True
    try:
        offset = int(tail[at + len(b"startxref"):].split()[0])
    except (IndexError, ValueError):
        return False
    return 0 <= offset < len(data) and marker in data[offset:offset + 1024]


def preload() -> float:
    """Import WeasyPrint (and the Pango, HarfBuzz and fontconfig libraries it loads); return the
    seconds it took. ``pubcredit serve`` calls it in the master before forking, so that every web
    worker shares the loaded modules instead of each paying the import on its first PDF."""
    started = time.perf_counter()
    import weasyprint  # type: ignore[import-untyped]  # noqa: F401 - imported for its side effect

    return time.perf_counter() - started


def warm_up() -> float:
    """Import WeasyPrint and lay out one line of Chinese text (fontconfig's configuration and the
    CJK font are loaded then); return the seconds it took. A process's first PDF pays this once
    (≈ 1.6 s on these machines, ``tests.bench.pdf_render``'s ``first_render_seconds``): a task
    worker of the ``report-pdfs`` queue does it as it starts, not while a report waits."""
    started = time.perf_counter()
    import weasyprint

    weasyprint.HTML(string='<p style="font-family: \'Noto Sans CJK SC\'">公共信用信息报告</p>').write_pdf()
    return time.perf_counter() - started


def render(issued: Issued, *, verify_url: str) -> RenderedPdf:
    """Render the PDF of an issued report (slow: ≈ 5 s for 100 records on two cores; ``tests.bench.pdf_render``)."""
    import weasyprint

    # Records as tables, two fields to a row (the page shows them one per line).
    html = render_to_string("reports/pdf.html", {**context(issued, verify_url=verify_url), "fields_as_table": True})
    fetcher = weasyprint.URLFetcher(allowed_protocols=["data"])
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    attachment = weasyprint.Attachment(
        string=rules.canonical_json(issued.content), name=ATTACHMENT_NAME,
        description="报告内容的规范 JSON（其 SHA-256 即报告内容摘要） / canonical JSON of the report content",
        url_fetcher=fetcher,
    )
    data = document.write_pdf(attachments=[attachment], custom_metadata=True,
                              pdf_identifier=file_identifier(verify_url))
    return RenderedPdf(data=bytes(data), pages=len(document.pages))
