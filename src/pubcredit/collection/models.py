"""Credit records collected under the catalog (Art. 13, 15, 17). Versioned, never overwritten."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pubcredit.catalog.models import CatalogEntry, CatalogVersion, Department, InfoClass, OpenLevel
from pubcredit.subjects.models import Subject


class RecordSource(models.TextChoices):
    PUBLIC = "public", _("公共信用信息")
    MARKET = "market", _("市场信用信息")
    SELF_DECLARED = "self_declared", _("自主申报")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUPERSEDED = "superseded", _("已更正")
    REVOKED = "revoked", _("已撤销")


class Record(models.Model):
    """One version of one credit record about one subject.

    A correction adds a new version with the same ``natural_key``; the old row stays, marked
    superseded. ``info_class`` and ``open_level`` are copied from the catalog version at
    collection so that reads need no join to decide who may see the row.
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="records")
    entry = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="records")
    entry_version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="records")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="records")
    info_class = models.CharField(max_length=16, choices=InfoClass.choices)
    open_level = models.CharField(max_length=16, choices=OpenLevel.choices)
    source = models.CharField(max_length=16, choices=RecordSource.choices, default=RecordSource.PUBLIC)
    natural_key = models.CharField(max_length=255)
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=16, choices=RecordStatus.choices, default=RecordStatus.ACTIVE)
    data = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    decision_date = models.DateField(null=True, blank=True)
    disclosure_until = models.DateField(null=True, blank=True)
    collected_at = models.DateTimeField()

    class Meta:
        verbose_name = _("信用记录")
        verbose_name_plural = _("信用记录")
        constraints = [
            models.UniqueConstraint(fields=["entry", "natural_key", "version"], name="record_version_unique"),
            models.UniqueConstraint(fields=["entry", "natural_key"], condition=models.Q(status="active"),
                                    name="one_active_version_per_record"),
        ]
        indexes = [
            models.Index(fields=["subject", "status"], name="record_subject_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.natural_key} v{self.version}"
