"""Read-only back office for auditors (Art. 39, 51): browse the audit log and signed checkpoints.

Nothing can be added, changed or deleted here, not even by a superuser (and the database
refuses it anyway). Who may *view* is the ``audit.view_auditentry`` permission.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from pubcredit.audit.models import AuditEntry, Checkpoint

if TYPE_CHECKING:
    _EntryAdmin = admin.ModelAdmin[AuditEntry]
    _CheckpointAdmin = admin.ModelAdmin[Checkpoint]
else:  # ModelAdmin is not subscriptable at run time
    _EntryAdmin = _CheckpointAdmin = admin.ModelAdmin


class _ReadOnly:
    """No add, change or delete (so no bulk actions either); the change page is a read-only view."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(_ReadOnly, _EntryAdmin):
    list_display = ("id", "seq", "at", "event", "actor", "actor_role", "channel", "object_type", "object_id",
                    "subject_id")
    list_filter = ("channel", "actor_role", ("sealed_at", admin.EmptyFieldListFilter))
    search_fields = ("=event", "actor", "=object_id")
    date_hierarchy = "at"
    show_full_result_count = False  # counting millions of rows on every page is not worth it
    fields = ("id", "at", "actor", "actor_role", "event", "object_type", "object_id", "subject_id", "channel",
              "data_pretty", "seq", "prev_hash", "entry_hash", "sealed_at")
    readonly_fields = fields

    @admin.display(description=_("内容"))
    def data_pretty(self, obj: AuditEntry) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2, sort_keys=True))


@admin.register(Checkpoint)
class CheckpointAdmin(_ReadOnly, _CheckpointAdmin):
    list_display = ("seq", "head_hash", "created_at", "key_id")
    fields = ("id", "seq", "head_hash", "created_at", "key_id", "signature")
    readonly_fields = fields
