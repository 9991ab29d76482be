"""Credit records collected under the catalog (Art. 13, 15, 17). Versioned, never overwritten."""

from __future__ import annotations

from django.contrib.postgres.indexes import BrinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from pubcredit.catalog.models import CatalogEntry, CatalogVersion, Department, InfoClass, OpenLevel
from pubcredit.subjects.models import Subject, SubjectRelation


class RecordSource(models.TextChoices):
    PUBLIC = "public", _("公共信用信息")
    MARKET = "market", _("市场信用信息")
    SELF_DECLARED = "self_declared", _("自主申报")


class RecordStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    SUPERSEDED = "superseded", _("已更正")
    REVOKED = "revoked", _("已撤销")


class BatchChannel(models.TextChoices):
    API = "api", _("接口")
    FILE = "file", _("文件上传")
    CLI = "cli", _("命令行")
    ADMIN = "admin", _("管理后台")


class BatchStatus(models.TextChoices):
    RECEIVED = "received", _("已接收")
    PROCESSING = "processing", _("处理中")
    COMPLETED = "completed", _("已完成")
    FAILED = "failed", _("失败")


class Batch(models.Model):
    """One submission of rows under one catalog entry by one department (Art. 13).

    A batch is processed in one transaction: it either completes with every accepted row
    written, or leaves no record behind. ``file_digest`` identifies the submitted content so a
    resend can be recognised.
    """

    entry = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="batches",
                              verbose_name=_("目录条目"))
    entry_version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="batches",
                                      verbose_name=_("目录版本"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="batches",
                                   verbose_name=_("报送单位"))
    channel = models.CharField(_("报送渠道"), max_length=8, choices=BatchChannel.choices)
    filename = models.CharField(_("文件名"), max_length=255, blank=True)
    file_digest = models.CharField(_("内容摘要"), max_length=64, blank=True, db_index=True)
    file_format = models.CharField(_("文件格式"), max_length=8, blank=True)  # csv, jsonl, xlsx, json
    encoding = models.CharField(_("文件编码"), max_length=16, blank=True)
    # The columns as submitted, in order: the rejected-rows file gives them back the same way.
    columns = models.JSONField(_("表头"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=BatchStatus.choices, default=BatchStatus.RECEIVED)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    accepted = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更正"), default=0)
    unchanged = models.PositiveIntegerField(_("未变化"), default=0)
    rejected = models.PositiveIntegerField(_("退回"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.CharField(_("提交人"), max_length=150)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("开始处理"), null=True, blank=True)
    finished_at = models.DateTimeField(_("处理完成"), null=True, blank=True)
    # A file received through the API waits here (under settings.PUBCREDIT_SPOOL_DIR) until its
    # task has collected it: the name lets a restarted worker finish what a killed one began.
    spool_name = models.CharField(_("暂存文件"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("报送批次")
        verbose_name_plural = _("报送批次")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["department", "entry", "created_at"], name="batch_dept_entry_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.entry_id} {self.get_status_display()}"


class BatchRejection(models.Model):
    """A rejected row: where (row number, field), why, and the row as sent (so it can be fixed)."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="rejections", verbose_name=_("报送批次"))
    row_number = models.PositiveIntegerField(_("行号"))
    field = models.CharField(_("字段"), max_length=64, blank=True)
    reason = models.TextField(_("原因"))
    raw = models.JSONField(_("原始数据"), default=dict)

    class Meta:
        verbose_name = _("退回记录")
        verbose_name_plural = _("退回记录")
        ordering = ["batch", "row_number", "id"]

    def __str__(self) -> str:
        return f"#{self.batch_id} row {self.row_number} {self.field}: {self.reason}"


class Record(models.Model):
    """One version of one credit record about one subject.

    A correction adds a new version with the same ``natural_key``; the old row stays, marked
    superseded. ``info_class`` and ``open_level`` are copied from the catalog version at
    collection so that reads need no join to decide who may see the row.
    """

    # No single-column indexes on these: (subject, status) and (entry, natural_key, version) lead
    # with subject and entry, and a one-value-per-batch index on entry, version or department
    # costs every bulk insert and lures the planner into scanning a whole entry per staged row.
    # Referential integrity is checked per statement, not per row (db_constraint=False): the
    # triggers of migration 0005 check every inserted or updated record's references set-based
    # and refuse deleting a referenced row; per-row foreign-key checks cost a bulk load a third
    # of its time, four of the five checking one value per batch again and again.
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="records", db_index=False,
                                db_constraint=False, verbose_name=_("信用主体"))
    entry = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="records", db_index=False,
                              db_constraint=False, verbose_name=_("目录条目"))
    entry_version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="records",
                                      db_index=False, db_constraint=False, verbose_name=_("目录版本"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="records", db_index=False,
                                   db_constraint=False, verbose_name=_("报送单位"))
    info_class = models.CharField(max_length=16, choices=InfoClass.choices, verbose_name=_("信息类别"))
    open_level = models.CharField(max_length=16, choices=OpenLevel.choices, verbose_name=_("开放等级"))
    source = models.CharField(max_length=16, choices=RecordSource.choices, default=RecordSource.PUBLIC,
                              verbose_name=_("信息来源"))
    # Byte order ("C"): keys are identifiers, not words; comparisons by the locale cost a third
    # of a bulk insert into the two unique indexes that lead with the key.
    natural_key = models.CharField(max_length=255, db_collation="C", verbose_name=_("业务主键"))
    version = models.PositiveIntegerField(default=1, verbose_name=_("版本"))
    status = models.CharField(max_length=16, choices=RecordStatus.choices, default=RecordStatus.ACTIVE,
                              verbose_name=_("状态"))
    data = models.JSONField(default=dict, verbose_name=_("信息内容"))
    content_hash = models.CharField(max_length=64, verbose_name=_("内容摘要"))
    decision_date = models.DateField(null=True, blank=True, verbose_name=_("决定日期"))
    disclosure_until = models.DateField(null=True, blank=True, verbose_name=_("公示截止日期"))
    # Records are appended as they are collected, so collected_at follows the table's physical
    # order and a BRIN index (record_collected_brin) finds a period's records, for the quality
    # figures of Art. 51, in a few pages and at almost no cost per insert.
    collected_at = models.DateTimeField(verbose_name=_("归集时间"))
    # Batches arrive in id order, so a BRIN index (a few pages) finds a batch's records; a B-tree
    # would cost every bulk insert one more index entry per row.
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="records",
                              db_constraint=False, db_index=False, verbose_name=_("报送批次"))
    status_reason = models.TextField(blank=True, db_default="", verbose_name=_("状态变更原因"))
    status_changed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("状态变更时间"))

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
            BrinIndex(fields=["batch"], name="record_batch_brin"),
            BrinIndex(fields=["collected_at"], name="record_collected_brin"),
        ]

    def __str__(self) -> str:
        return f"{self.entry_id}:{self.natural_key} v{self.version}"


class Consent(models.Model):
    """A natural person's written consent to the collection of property or tax-amount information.

    Art. 37: without it, rows carrying such fields about that person are refused.
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="consents", verbose_name=_("信用主体"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="consents",
                                   verbose_name=_("部门"))
    category = models.CharField(_("同意事项"), max_length=32)  # e.g. "property", "tax_amount"
    document_ref = models.CharField(_("书面同意文书编号"), max_length=100)
    given_on = models.DateField(_("同意日期"))
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    recorded_by = models.CharField(_("登记人"), max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("登记时间"))

    class Meta:
        verbose_name = _("书面同意")
        verbose_name_plural = _("书面同意")

    def __str__(self) -> str:
        return f"{self.subject_id} {self.category} {self.document_ref}"


class NameReviewResolution(models.TextChoices):
    RENAMED = "renamed", _("采用报送名称（已更名）")
    KEPT = "kept", _("保留已登记名称")


class NameReview(models.Model):
    """A submitted name that contradicts the name known for the same code: for an officer to review.

    Resolved through ``collection.services.resolve_name_review`` (renamed or kept); renaming the
    subject by any path closes its open reviews.
    """

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="name_reviews",
                                verbose_name=_("信用主体"))
    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="name_reviews", verbose_name=_("报送批次"))
    row_number = models.PositiveIntegerField(verbose_name=_("行号"))
    submitted_name = models.CharField(max_length=200, verbose_name=_("报送名称"))
    known_name = models.CharField(max_length=200, verbose_name=_("已登记名称"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("处理时间"))
    resolution = models.CharField(max_length=16, blank=True, choices=NameReviewResolution.choices,
                                  verbose_name=_("处理结果"))
    resolved_by = models.CharField(max_length=150, blank=True, verbose_name=_("处理人"))
    note = models.TextField(blank=True, db_default="", verbose_name=_("处理说明"))

    class Meta:
        verbose_name = _("名称待核")
        verbose_name_plural = _("名称待核")

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.submitted_name} ≠ {self.known_name}"


class RecordRelation(models.Model):
    """A relation named by a record version (basic-information entries, Art. 10, 26).

    When the version is superseded or revoked, a relation that no active record names any more
    is ended (``SubjectRelation.until``); legal representatives and principals are settled from
    the active records naming them (docs/collection.md).
    """

    # The unique constraint leads with the record: no separate index on it.
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="relation_links", db_index=False,
                               verbose_name=_("信用记录"))
    relation = models.ForeignKey(SubjectRelation, on_delete=models.PROTECT, related_name="record_links",
                                 verbose_name=_("主体关系"))

    class Meta:
        verbose_name = _("记录所载关系")
        verbose_name_plural = _("记录所载关系")
        constraints = [models.UniqueConstraint(fields=["record", "relation"], name="record_relation_unique")]

    def __str__(self) -> str:
        return f"{self.record_id} → {self.relation_id}"
