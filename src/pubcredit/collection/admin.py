"""Back-office views of collection: batches with their rejected rows, records, consents, name reviews.

Rows change only through collection.services (officers upload at /officer/batches/).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ActionForm
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import (
    CappedCountAdmin,
    ReadOnlyAdmin,
    acting_department,
    own_department_only,
    search_by_ids,
)
from pubcredit.catalog.models import CatalogEntry
from pubcredit.collection import services
from pubcredit.collection.models import Batch, BatchRejection, Consent, NameReview, NameReviewResolution, Record
from pubcredit.errors import PubcreditError
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
        return own_department_only(request, super().get_queryset(request))

    list_display = ["id", "entry", "department", "channel", "status", "row_count", "accepted", "updated",
                    "unchanged", "rejected", "created_at"]
    list_filter = ["status", "channel", "department"]
    inlines = [RejectionInline]


@admin.register(Record)
class RecordAdmin(CappedCountAdmin, ReadOnlyAdmin, _RecordAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Record]:
        return own_department_only(request, super().get_queryset(request))

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
    def get_queryset(self, request: HttpRequest) -> QuerySet[Consent]:
        return own_department_only(request, super().get_queryset(request))  # the department that recorded it

    list_display = ["subject", "department", "category", "document_ref", "given_on", "expires_on", "withdrawn_at"]
    raw_id_fields = ["subject"]


class ResolveReviewForm(ActionForm):
    note = forms.CharField(label=_("处理说明"), required=False, max_length=500)


@admin.register(NameReview)
class NameReviewAdmin(ReadOnlyAdmin, _ReviewAdmin):
    """Flagged names; an officer resolves them with the two actions (through the service, audited).

    An officer sees and resolves only the reviews their own department's batches flagged.
    """

    list_display = ["subject", "submitted_name", "known_name", "batch", "row_number", "resolved_at", "resolution",
                    "resolved_by"]
    list_filter = ["resolution"]
    raw_id_fields = ["subject", "batch"]
    action_form = ResolveReviewForm
    actions = ["rename_action", "keep_action"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[NameReview]:
        return own_department_only(request, super().get_queryset(request), "batch__department_id")

    def has_resolve_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("collection.change_namereview"))

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _resolve(self, request: HttpRequest, queryset: QuerySet[NameReview], resolution: str) -> None:
        note = str(request.POST.get("note") or "")
        try:
            department = acting_department(request.user)
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        done = 0
        for review in queryset.filter(resolved_at__isnull=True).order_by("pk"):
            if not NameReview.objects.filter(pk=review.pk, resolved_at__isnull=True).exists():
                continue  # closed meanwhile: its subject was renamed by an earlier one of the selection
            try:
                services.resolve_name_review(review.pk, resolution=resolution, note=note, department=department,
                                             actor=f"admin:{request.user.get_username()}")
                done += 1
            except PubcreditError as exc:
                self.message_user(request, f"{review}: {exc}", level=messages.ERROR)
        if done:
            self.message_user(request, f"已处理 {done} 条名称待核记录", level=messages.SUCCESS)

    @admin.action(description=_("采用报送名称（主体更名）"), permissions=["resolve"])
    def rename_action(self, request: HttpRequest, queryset: QuerySet[NameReview]) -> None:
        self._resolve(request, queryset, NameReviewResolution.RENAMED)

    @admin.action(description=_("保留已登记名称"), permissions=["resolve"])
    def keep_action(self, request: HttpRequest, queryset: QuerySet[NameReview]) -> None:
        self._resolve(request, queryset, NameReviewResolution.KEPT)
