"""Read-only back office for auditors (Art. 39, 51): browse the audit log and signed checkpoints.

Nothing can be added, changed or deleted here, not even by a superuser (and the database
refuses it anyway). Who may *view* is the ``audit.view_auditentry`` permission.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CappedCountAdmin, ReadOnlyAdmin
from pubcredit.audit.models import AuditEntry, Checkpoint

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
    search_fields = ("=event", "actor", "=object_id")
    date_hierarchy = "at"
    fields = ("id", "at", "actor", "actor_role", "event", "object_type", "object_id", "subject_id", "channel",
              "data_pretty", "seq", "prev_hash", "entry_hash", "sealed_at")
    readonly_fields = fields

    @admin.display(description=_("内容"))
    def data_pretty(self, obj: AuditEntry) -> SafeString:
        return format_html("<pre>{}</pre>", json.dumps(obj.data, ensure_ascii=False, indent=2, sort_keys=True))


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin, _CheckpointAdmin):
    list_display = ("seq", "head_hash", "created_at", "key_id")
    fields = ("id", "seq", "head_hash", "created_at", "key_id", "signature")
    readonly_fields = fields
