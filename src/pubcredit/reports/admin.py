"""Back-office view of issued reports: read only (rows are only ever added, by reports.services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pubcredit.adminkit import CappedCountAdmin
from pubcredit.reports.models import IssuedReport


@admin.register(IssuedReport)
class IssuedReportAdmin(CappedCountAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "kind", "subject_name_public", "subject_code_public", "reader_basis", "as_of", "issued_at")
    list_filter = ("kind", "reader_basis", "as_of")
    search_fields = ("code", "subject_code_public", "content_digest")
    date_hierarchy = "issued_at"
    exclude = ("subject",)  # shown masked through the public columns; no resident ID in the back-office list

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
