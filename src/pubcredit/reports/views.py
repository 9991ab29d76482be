"""Report pages of the portal: the report, its PDF, the special report, and report verification.

Thin: each view builds the reader, calls the report service and renders; errors from the
service layer become 400/403/404 pages.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from pubcredit.access.readers import reader_for_request
from pubcredit.errors import Busy, InvalidInput, NotFound, NotPermitted, PubcreditError
from pubcredit.reports import pdf, queries, rules, services
from pubcredit.reports.links import verify_url
from pubcredit.subjects import queries as subject_queries
from pubcredit.subjects.models import Subject

_TITLES = {400: "请求有误", 403: "无权访问", 404: "未找到", 503: "请稍后再试"}


def _error(request: HttpRequest, exc: PubcreditError) -> HttpResponse:
    status = exc.status if exc.status in _TITLES else 400
    context = {"title": _TITLES[status], "message": exc.message}
    if isinstance(exc, Busy):  # the same address works a little later: offer it
        context["retry_url"] = request.get_full_path()
    response = render(request, "portal/error.html", context, status=status)
    if isinstance(exc, Busy):
        response["Retry-After"] = str(exc.retry_after)
    return response


def _page(request: HttpRequest, issued: services.Issued, key: str, extra: dict[str, Any] | None = None) -> HttpResponse:
    query = request.GET.urlencode()
    is_special = issued.report.kind == rules.ReportKind.SPECIAL
    pdf_url = reverse("reports:special_pdf" if is_special else "reports:full_pdf", args=[key])
    context = pdf.context(issued, verify_url=verify_url(request, issued.code)) | {
        "pdf_url": f"{pdf_url}?{query}" if query else pdf_url,
        "subject_url": reverse("portal:subject", args=[key]),
        "special_url": reverse("reports:special", args=[key]),
        "full_url": reverse("reports:full", args=[key]),
        # Seconds a background render should take, for a report whose PDF is made that way (else 0).
        "pdf_in_background": (math.ceil(services.pdf_render_estimate(issued.report.item_count))
                              if issued.report.item_count > services.pdf_inline_items() else 0),
    } | (extra or {})
    return render(request, "reports/page.html", context)


def _pdf(request: HttpRequest, subject: Subject, name: str, report_url: str,
         special: queries.SpecialRequest | None = None) -> HttpResponse:
    """The PDF; or, for a large report being rendered in the background, a page that says so and
    comes back (``?wait=1``) until it is ready, then starts the download."""
    waiting = request.GET.get("wait") == "1"
    try:
        answer = services.report_pdf(subject, reader=reader_for_request(request, channel="web"), special=special,
                                     verify_url=lambda code: verify_url(request, code), deliver=not waiting)
    except PubcreditError as exc:
        return _error(request, exc)
    issued = answer.issued
    if answer.data is not None:
        response = HttpResponse(answer.data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}-{issued.code}.pdf"'
        return response
    query = request.GET.copy()
    query.pop("wait", None)
    download_url = f"{request.path}?{query.urlencode()}" if query else request.path
    query["wait"] = "1"
    context = {"report": issued.report, "code": issued.code, "items": issued.report.item_count, "ready": answer.ready,
               "download_url": download_url, "wait_url": f"{request.path}?{query.urlencode()}",
               "report_url": report_url, "retry_after": answer.retry_after,
               "estimate": math.ceil(services.pdf_render_estimate(issued.report.item_count))}
    response = render(request, "reports/pdf_wait.html", context, status=200 if answer.ready else 202)
    if not answer.ready:
        response["Retry-After"] = str(answer.retry_after)
    return response


@require_GET
@never_cache  # what a reader may see, issued for it: no shared or stored copy
def full_report(request: HttpRequest, key: str) -> HttpResponse:
    """公共信用信息报告 on the portal (Art. 40), as the visitor may see it."""
    try:
        reader = reader_for_request(request, channel="web")
        issued = services.issue_report(subject_queries.subject_by_url_key(key), reader=reader)
    except PubcreditError as exc:
        return _error(request, exc)
    return _page(request, issued, key)


@require_GET
@never_cache  # what a reader may see, issued for it: no shared or stored copy
def full_report_pdf(request: HttpRequest, key: str) -> HttpResponse:
    try:
        subject = subject_queries.subject_by_url_key(key)
    except PubcreditError as exc:
        return _error(request, exc)
    return _pdf(request, subject, "credit-report", reverse("reports:full", args=[key]))


def _special_params(request: HttpRequest) -> tuple[date | None, date | None, list[str]]:
    def day(name: str) -> date | None:
        raw = request.GET.get(name, "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput("日期格式应为 YYYY-MM-DD", field=name) from None

    classes = [c for raw in request.GET.getlist("classes") for c in raw.split(",") if c.strip()]
    return day("from"), day("to"), classes


def _class_choices(selected: tuple[str, ...] | list[str]) -> list[dict[str, Any]]:
    return [{"code": c.code, "label": c.label, "checked": not selected or c.code in selected}
            for c in rules.SPECIAL_CLASSES]


@require_GET
@never_cache  # what a reader may see, issued for it: no shared or stored copy
def special_report(request: HttpRequest, key: str) -> HttpResponse:
    """专项信用报告: the form, and once submitted (``from`` present) the report itself."""
    try:
        subject = subject_queries.subject_by_url_key(key)
        reader = reader_for_request(request, channel="web")  # a refused token or scheme, a NUL in matter/purpose
    except PubcreditError as exc:
        return _error(request, exc)
    form = {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
    base = {"form": form, "matter": reader.matter, "purpose": reader.purpose, "key": key,
            "public_only": reader.subject_id is None and reader.agency_id is None and not reader.matter}
    if "from" not in request.GET:
        return render(request, "reports/special_form.html", base | {"class_choices": _class_choices([]),
                                                                     "subject": subject_queries.summarize(subject)})
    try:
        date_from, date_to, classes = _special_params(request)
        issued = services.issue_special_report(subject, reader=reader, date_from=date_from, date_to=date_to,
                                               classes=classes or None)
    except InvalidInput as exc:
        return render(request, "reports/special_form.html",
                      base | {"error": exc.message, "error_field": exc.field or "",
                              "subject": subject_queries.summarize(subject),
                              "class_choices": _class_choices(request.GET.getlist("classes"))}, status=400)
    except (NotFound, NotPermitted) as exc:
        return _error(request, exc)
    scope = issued.report.special
    form = {"from": scope.date_from.isoformat(), "to": scope.date_to.isoformat()} if scope else form
    return _page(request, issued, key, base | {"form": form, "class_choices": _class_choices(
        [c.code for c in scope.classes] if scope else [])})


@require_GET
@never_cache  # what a reader may see, issued for it: no shared or stored copy
def special_report_pdf(request: HttpRequest, key: str) -> HttpResponse:
    try:
        subject = subject_queries.subject_by_url_key(key)
        date_from, date_to, classes = _special_params(request)
        special = queries.special_request(date_from=date_from, date_to=date_to, classes=classes or None,
                                          today=timezone.localdate())
    except PubcreditError as exc:
        return _error(request, exc)
    query = request.GET.copy()
    query.pop("wait", None)
    report_url = reverse("reports:special", args=[key])
    return _pdf(request, subject, "special-credit-report", f"{report_url}?{query.urlencode()}" if query else report_url,
                special)


@require_GET
def verify(request: HttpRequest, code: str = "") -> HttpResponse:
    """报告验证: enter a code (or follow the QR link) and see whether the report was issued."""
    code = code or request.GET.get("code", "").strip()
    context: dict[str, Any] = {"code": code, "key": queries.public_key()}
    status = 200
    if code:
        try:
            context["ver"] = queries.verification(code)
        except (InvalidInput, NotFound) as exc:
            context["error"] = exc.message
            status = exc.status
    return render(request, "reports/verify.html", context, status=status)
