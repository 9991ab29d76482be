"""Back-office view of issued reports: read only (rows are only ever added, by reports.services)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CappedCountAdmin, ReadOnlyAdmin, search_by_ids
from pubcredit.reports import rules
from pubcredit.reports.models import IssuedReport, PdfRender
from pubcredit.subjects import queries as subject_queries


@admin.register(IssuedReport)
class IssuedReportAdmin(CappedCountAdmin, ReadOnlyAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "kind", "subject_name_public", "subject_code_public", "reader_basis", "as_of", "issued_at")
    list_filter = ("kind", "reader_basis", "as_of")
    search_fields = ("=code", "=content_digest")
    search_help_text = _("输入报告验证码、内容摘要（SHA-256），或信用主体的统一社会信用代码、身份证号码。")
    date_hierarchy = "issued_at"
    exclude = ("subject",)  # shown masked through the public columns; no resident ID in the back-office list

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[IssuedReport],
                           search_term: str) -> tuple[QuerySet[IssuedReport], bool]:
        """Issued reports by verification code (typed as people type it: case, spaces and hyphens
        ignored), by content digest, or by their subject's code — each a unique or (subject, time)
        index. A contains-search of those columns read every report ever issued."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(content_digest=term.lower())
        code = rules.normalize_verification_code(term)
        if code is not None:
            match |= Q(code=code)
        subject_ids = subject_queries.subject_ids_for_code(term)
        if subject_ids:
            match |= Q(subject_id__in=subject_ids)
        return search_by_ids(queryset, match)


@admin.register(PdfRender)
class PdfRenderAdmin(ReadOnlyAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Large reports' PDFs waiting for, or failing in, a task worker (``services.report_pdf``): a failed
    render is logged with its traceback and shown here with its error; the next request for the PDF
    queues it again (up to three tries). Read only: the rows belong to the render queue."""

    list_display = ("report_code", "status", "attempts", "requested_at", "started_at", "short_error")
    list_filter = ("status",)
    fields = ("report_code", "template_version", "status", "attempts", "requested_at", "started_at", "error")
    readonly_fields = fields
    list_select_related = ("report",)

    @admin.display(description=_("验证码"))
    def report_code(self, obj: PdfRender) -> str:
        return rules.format_verification_code(obj.report.code)

    @admin.display(description=_("错误"))
    def short_error(self, obj: PdfRender) -> str:
        return obj.error[:120]
