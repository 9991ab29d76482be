"""Credit reports on the API (Art. 40).

Two routers: ``subject_router`` is mounted at ``/subjects`` beside the subjects app's own router
(``/subjects/{code}/report``, ``.pdf``, ``/special-report``, ``.pdf``); ``router`` at ``/reports``
(verification and the public key). Every report handed out is issued: signed and verifiable.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router
from ninja.renderers import JSONRenderer

from pubcredit.access.readers import Reader
from pubcredit.reports import queries, services
from pubcredit.reports.links import verify_url
from pubcredit.reports.schemas import (
    ComparisonOut,
    PdfPendingOut,
    PublicKeyOut,
    ReportOut,
    SpecialParams,
    VerificationOut,
    VerifyIn,
)
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import Subject
from pubcredit.subjects.schemas import BusyOut, ErrorOut

subject_router = Router()
router = Router()
_RENDERER = JSONRenderer()

#: A report holds what its reader may see and is issued for that reader: never kept by a proxy or a browser.
PRIVATE = "private, no-store"
_READ_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
#: A small report's PDF not rendered yet waits for a free render slot; when every slot is taken: 503
#: with Retry-After. A large report's PDF is rendered by a task worker: 202 with Retry-After, ask again.
_PDF_ERRORS: dict[int, Any] = {202: PdfPendingOut, **_READ_ERRORS, 503: BusyOut}
_PDF_RESPONSE = {"responses": {200: {"description": "The report as PDF (A4)",
                                     "content": {"application/pdf": {"schema": {"type": "string",
                                                                                "format": "binary"}}}}}}
_PDF_DESCRIPTION = (" A report that lists more records than the platform renders while the request waits (60 by "
                    "default) is answered `202` with `Retry-After` and `Location` (this same address) while a "
                    "worker renders it; asking again gets the PDF once it is ready, with the same verification "
                    "code. A non-public read is logged when the PDF itself is handed out, not for `202` answers.")
_WHO = ("Only what the caller may see is included (anonymous callers: public information; the subject "
        "itself, logged in: everything; an authorised organisation: public and authorised information; an "
        "officer naming a matter of the government application list with `matter` and `purpose`: what that "
        "matter lists). A non-public read is logged once in the subject's query log.")


def _json(request: HttpRequest, issued: services.Issued, pdf_path: str) -> HttpResponse:
    """The report as ``ReportOut`` JSON, not validated again: the content is built from typed report
    objects (re-validating a report of a few dozen records on every request cost a quarter of the
    request). ``content`` is embedded as the canonical bytes issuing digested (so it is serialised
    once); the rest is rendered as ninja renders it."""
    rest = _RENDERER.render(request, {"verification": issued.verification(),
                                      "links": {"pdf": pdf_path, "verify": verify_url(request, issued.code)}},
                            response_status=200)
    body = b'{"content":' + issued.canonical + b"," + rest.encode("utf-8")[1:]
    response = HttpResponse(body, content_type=f"{_RENDERER.media_type}; charset=utf-8")
    response["Cache-Control"] = PRIVATE
    return response


def _pdf(request: HttpRequest, subject: Subject, reader: Reader, filename: str,
         special: queries.SpecialRequest | None = None) -> HttpResponse:
    answer = services.report_pdf(subject, reader=reader, special=special,
                                 verify_url=lambda code: verify_url(request, code))
    issued = answer.issued
    if answer.data is None:  # a large report: rendered by a task worker, ask again
        n = issued.report.item_count
        response = HttpResponse(_RENDERER.render(request, {
            "code": "pdf_pending", "retry_after": answer.retry_after, "verification_code": issued.code, "items": n,
            "message": f"报告共 {n} 条记录，PDF 正在生成，请 {answer.retry_after} 秒后再次请求同一地址",
        }, response_status=202), status=202, content_type=f"{_RENDERER.media_type}; charset=utf-8")
        response["Retry-After"] = str(answer.retry_after)
        response["Location"] = request.get_full_path()
    else:
        response = HttpResponse(answer.data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{issued.code}.pdf"'
    response["X-Report-Verification-Code"] = issued.code
    response["X-Report-Digest"] = issued.row.content_digest
    response["Cache-Control"] = PRIVATE
    return response


@subject_router.get(
    "/{code}/report", response={200: ReportOut, **_READ_ERRORS},
    summary="公共信用信息报告 / The credit report of a subject (Art. 40)",
    description=("The public credit information report in sections (identity and basic information, adverse, "
                 "trustworthy, lists, commitments, self-declared), with a verification block: code, SHA-256 "
                 "digest of the canonical JSON of `content`, Ed25519 signature. " + _WHO),
)
def report_json(request: HttpRequest, code: str) -> HttpResponse:
    reader, subject = subject_queries.reader_and_subject(request, code, channel="api")
    issued = services.issue_report(subject, reader=reader)
    return _json(request, issued, f"/api/v1/subjects/{code}/report.pdf")


@subject_router.get(
    "/{code}/report.pdf", response={200: None, **_PDF_ERRORS}, openapi_extra=_PDF_RESPONSE,
    summary="信用报告 PDF / The credit report as PDF",
    description=("The same report as `/report`, as an A4 PDF with page numbers, verification code and QR code. "
                 + _WHO + _PDF_DESCRIPTION),
)
def report_pdf(request: HttpRequest, code: str) -> HttpResponse:
    reader, subject = subject_queries.reader_and_subject(request, code, channel="api")
    return _pdf(request, subject, reader, "credit-report")


def _special(request: HttpRequest, code: str, params: SpecialParams) -> services.Issued:
    reader, subject = subject_queries.reader_and_subject(request, code, channel="api")
    return services.issue_special_report(subject, reader=reader, date_from=params.date_from, date_to=params.date_to,
                                         classes=params.classes)


_SPECIAL_DESCRIPTION = (
    "专项信用报告 (replaces no-violation certificates): for the period `from`–`to` (ISO dates, at most 5 years, "
    "default the last 3 years to today) and the `classes` (comma-separated; default all: penalty, compulsion, "
    "serious_dishonesty, court_defaulter, business_anomaly, commitment_breach, arrears, other_adverse), it states "
    "class by class the records decided in the period, or that none were found, or that the platform does not "
    "collect the class, or that the class is not open to the caller. " + _WHO)


@subject_router.get("/{code}/special-report", response={200: ReportOut, **_READ_ERRORS},
                    summary="专项信用报告 / Special credit report", description=_SPECIAL_DESCRIPTION)
def special_json(request: HttpRequest, code: str, params: Query[SpecialParams]) -> HttpResponse:
    issued = _special(request, code, params)
    return _json(request, issued, f"/api/v1/subjects/{code}/special-report.pdf?{request.GET.urlencode()}")


@subject_router.get("/{code}/special-report.pdf", response={200: None, **_PDF_ERRORS},
                    openapi_extra=_PDF_RESPONSE, summary="专项信用报告 PDF / Special credit report as PDF",
                    description=_SPECIAL_DESCRIPTION + _PDF_DESCRIPTION)
def special_pdf(request: HttpRequest, code: str, params: Query[SpecialParams]) -> HttpResponse:
    reader, subject = subject_queries.reader_and_subject(request, code, channel="api")
    special = queries.special_request(date_from=params.date_from, date_to=params.date_to, classes=params.classes,
                                      today=timezone.localdate())
    return _pdf(request, subject, reader, "special-credit-report", special)


@router.get(
    "/verify/{verification_code}", response={200: VerificationOut, 400: ErrorOut, 404: ErrorOut},
    summary="报告验证 / Verify an issued report",
    description=("Whether a report with this code was issued: when, of which subject (a person's name and ID "
                 "number masked), for which kind of reader, its content digest and signature, and whether the "
                 "signature verifies with the published key. Unknown code: 404 `未查到该报告`."),
)
def verify(request: HttpRequest, verification_code: str) -> queries.Verification:
    return queries.verification(verification_code)


@router.post(
    "/verify/{verification_code}", response={200: ComparisonOut, 400: ErrorOut, 404: ErrorOut},
    summary="报告比对 / Check a report in hand against the issued one",
    description=("Post the report's JSON (the `content` object, or the whole answer of `GET .../report`) or its "
                 "`digest`: the answer says `一致` when it is exactly the issued content, `不一致` when altered."),
)
def compare(request: HttpRequest, verification_code: str, body: VerifyIn) -> queries.Comparison:
    return queries.compare(verification_code, content=body.content, digest=body.digest)


@router.get("/public-key", response=PublicKeyOut, summary="报告签名公钥 / The platform's report signing key")
def public_key(request: HttpRequest) -> dict[str, Any]:
    return queries.public_key()
