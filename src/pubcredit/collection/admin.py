"""Back-office views of collection: batches with their rejected rows, records, consents, name reviews.

Rows change only through collection.services (officers upload at /officer/batches/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CappedCountAdmin, ReadOnlyAdmin, search_by_ids
from pubcredit.catalog.models import CatalogEntry
from pubcredit.collection.models import Batch, BatchRejection, Consent, NameReview, Record
from pubcredit.subjects import queries as subject_queries

if TYPE_CHECKING:
    _BatchAdmin = admin.ModelAdmin[Batch]
    _RecordAdmin = admin.ModelAdmin[Record]
    _ConsentAdmin = admin.ModelAdmin[Consent]
    _ReviewAdmin = admin.ModelAdmin[NameReview]
    _RejectionInline = admin.TabularInline[BatchRejection, Batch]
else:
    _BatchAdmin = _RecordAdmin = _ConsentAdmin = _ReviewAdmin = admin.ModelAdmin
    _RejectionInline = admin.TabularInline


class RejectionInline(ReadOnlyAdmin, _RejectionInline):
    model = BatchRejection
    fields = ("row_number", "field", "reason")
    readonly_fields = fields
    extra = 0
    max_num = 0


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin, _BatchAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Batch]:
        return _own_department_only(request, super().get_queryset(request))

    list_display = ["id", "entry", "department", "channel", "status", "row_count", "accepted", "updated",
                    "unchanged", "rejected", "created_at"]
    list_filter = ["status", "channel", "department"]
    inlines = [RejectionInline]


def _own_department_only(request: HttpRequest, qs: QuerySet[Any]) -> QuerySet[Any]:
    """Art. 14 in the back-office: an officer sees only what their own department submitted.

    Everything else a department may read goes through the application-list query paths
    (matter + purpose, logged); the platform operator and auditors see all rows here.
    """
    user = request.user
    if getattr(user, "is_superuser", False) or getattr(user, "role", "") in ("operator", "auditor"):
        return qs
    return qs.filter(department_id=getattr(user, "department_id", None) or 0)


@admin.register(Record)
class RecordAdmin(CappedCountAdmin, ReadOnlyAdmin, _RecordAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Record]:
        return _own_department_only(request, super().get_queryset(request))

    list_display = ["id", "entry", "subject", "natural_key", "version", "status", "open_level", "decision_date",
                    "disclosure_until"]
    list_filter = ["status", "info_class", "open_level", "source"]
    raw_id_fields = ["subject", "entry", "entry_version", "department", "batch"]
    search_fields = ["natural_key"]
    search_help_text = _("输入完整的记录编号（如行政处罚决定书文号），或信用主体的统一社会信用代码、身份证号码。")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Record],
                           search_term: str) -> tuple[QuerySet[Record], bool]:
        """Records by their whole key (a decision number such as 杭市监罚〔2025〕12号) or by their subject's
        code, each found through an index, then listed as the officer may see them (``queryset``).

        A part of a key is not searched: ``natural_key`` contains-search read every record of the
        table on each search (seconds at a city's size). The matching ids are found first, without
        order (``adminkit.search_by_ids``).
        """
        term = search_term.strip()
        if not term:
            return queryset, False
        # Every entry's id: the (entry, key, version) index then finds a key whatever its entry.
        match = Q(entry_id__in=list(CatalogEntry.objects.values_list("id", flat=True)), natural_key=term)
        subject_ids = subject_queries.subject_ids_for_code(term)
        if subject_ids:
            match |= Q(subject_id__in=subject_ids)
        return search_by_ids(queryset, match)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyAdmin, _ConsentAdmin):
    list_display = ["subject", "department", "category", "document_ref", "given_on", "expires_on", "withdrawn_at"]
    raw_id_fields = ["subject"]


@admin.register(NameReview)
class NameReviewAdmin(ReadOnlyAdmin, _ReviewAdmin):
    list_display = ["subject", "submitted_name", "known_name", "batch", "row_number", "resolved_at", "resolution"]
    list_filter = ["resolution"]
    raw_id_fields = ["subject", "batch"]
