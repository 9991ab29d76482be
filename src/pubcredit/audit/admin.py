"""Read-only back office for auditors (Art. 39, 51): browse the audit log and signed checkpoints.

Nothing can be added, changed or deleted here, not even by a superuser (and the database
refuses it anyway). Who may *view* is the ``audit.view_auditentry`` permission.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import admin
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CappedCountAdmin, ReadOnlyAdmin, search_by_ids
from pubcredit.audit.models import AuditEntry, Checkpoint
from pubcredit.audit.rules import EVENT_PATTERN

if TYPE_CHECKING:
    _EntryAdmin = admin.ModelAdmin[AuditEntry]
    _CheckpointAdmin = admin.ModelAdmin[Checkpoint]
else:  # ModelAdmin is not subscriptable at run time
    _EntryAdmin = _CheckpointAdmin = admin.ModelAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(CappedCountAdmin, ReadOnlyAdmin, _EntryAdmin):
    list_display = ("id", "seq", "at", "event", "actor", "actor_role", "channel", "object_type", "object_id",
                    "subject_id")
    list_filter = ("channel", "actor_role", ("sealed_at", admin.EmptyFieldListFilter))
    search_fields = ("=event", "=actor", "=object_id")
    search_help_text = _("输入完整的操作人（如 user:operator、dept:hz-scjgj、agency:12）、"
                         "事件代码（如 access:query）或对象编号。")
    date_hierarchy = "at"
    fields = ("id", "at", "actor", "actor_role", "event", "object_type", "object_id", "subject_id", "channel",
              "data_pretty", "seq", "prev_hash", "entry_hash", "sealed_at")
    readonly_fields = fields

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[AuditEntry],
                           search_term: str) -> tuple[QuerySet[AuditEntry], bool]:
        """Entries whose actor, event code or object id is exactly the term, each found through an
        index ((actor, id), (event, id), (object type, object id) for every type there is), ids first
        (``adminkit.search_by_ids``). A contains-search of the actor read the whole
        log on every search; the log only grows."""
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(actor=term) | Q(object_type__in=_object_types(), object_id=term)
        if EVENT_PATTERN.match(term):
            match |= Q(event=term)
        return search_by_ids(queryset, match)

    @admin.display(description=_("内容"))
    def data_pretty(self, obj: AuditEntry) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2, sort_keys=True))


# The distinct object types in the log, one index probe each (a loose scan of audit_entry_object).
_OBJECT_TYPES_SQL = """
    WITH RECURSIVE t(v) AS (
        SELECT min(object_type) FROM audit_auditentry
        UNION ALL
        SELECT (SELECT min(object_type) FROM audit_auditentry WHERE object_type > t.v) FROM t WHERE t.v IS NOT NULL
    )
    SELECT v FROM t WHERE v IS NOT NULL
"""


def _object_types() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(_OBJECT_TYPES_SQL)
        return [str(v) for (v,) in cursor.fetchall()]


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin, _CheckpointAdmin):
    list_display = ("seq", "head_hash", "created_at", "key_id")
    fields = ("id", "seq", "head_hash", "created_at", "key_id", "signature")
    readonly_fields = fields
