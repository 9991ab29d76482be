"""Departments and the versioned catalog of public credit information (Art. 9, 13, 14, 37)."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.Model):
    """A public-credit-related unit (公共信用相关单位) that provides or uses information."""

    code = models.SlugField(_("部门编码"), max_length=40, unique=True)
    name = models.CharField(_("部门名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    district_code = models.CharField(_("所属行政区划"), max_length=6, default="330100")
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class InfoClass(models.TextChoices):
    BASIC = "basic", _("基础信息")
    ADVERSE = "adverse", _("不良信息")
    TRUSTWORTHY = "trustworthy", _("守信信息")


class OpenLevel(models.TextChoices):
    PUBLIC = "public", _("社会公开")
    AUTHORIZED = "authorized", _("授权查询")
    INTERNAL = "internal", _("政府内部应用")


class Frequency(models.TextChoices):
    REALTIME = "realtime", _("实时")
    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
    QUARTERLY = "quarterly", _("每季度")
    YEARLY = "yearly", _("每年")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("草稿")
    CONSULTATION = "consultation", _("征求意见")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已废止")


class CatalogEntry(models.Model):
    """A catalog entry: the stable identity of one collected item; its content is versioned."""

    code = models.SlugField(_("目录编码"), max_length=40, unique=True)
    name = models.CharField(_("信息项名称"), max_length=200)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="catalog_entries",
                                   verbose_name=_("提供单位"))
    info_class = models.CharField(_("信息类别"), max_length=16, choices=InfoClass.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("归集目录条目")
        verbose_name_plural = _("归集目录条目")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(info_class__in=InfoClass.values),
                                   name="catalog_entry_info_class_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CatalogVersion(models.Model):
    """One version of a catalog entry, moving draft → consultation → published → retired."""

    entry = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, related_name="versions",
                              verbose_name=_("目录条目"))
    number = models.PositiveIntegerField(_("版本号"))
    # Changed only by the transition functions in catalog.services; never through a form.
    state = models.CharField(_("状态"), max_length=16, choices=VersionState.choices, default=VersionState.DRAFT,
                             editable=False)
    item = models.TextField(_("归集事项"))
    subject_kinds = ArrayField(models.CharField(max_length=24), verbose_name=_("适用主体"))
    open_level = models.CharField(_("开放等级"), max_length=16, choices=OpenLevel.choices)
    frequency = models.CharField(_("归集频率"), max_length=16, choices=Frequency.choices)
    fields = models.JSONField(_("字段"), default=list)
    natural_key = ArrayField(models.CharField(max_length=64), verbose_name=_("业务主键字段"), default=list)
    decision_date_field = models.CharField(_("决定日期字段"), max_length=64, blank=True)
    legal_basis = models.TextField(_("设定依据"))
    domain = models.CharField(_("领域"), max_length=100, blank=True)
    disclosure_months = models.PositiveIntegerField(_("披露期限（月）"), null=True, blank=True)
    repair_rules = models.JSONField(_("修复规则"), default=dict, blank=True)
    submission_lag_workdays = models.PositiveIntegerField(_("报送时限（工作日）"), null=True, blank=True)
    note = models.TextField(_("说明"), blank=True)
    # Which fields bind a row to its subject: {"uscc": field, "resident_id": field, "name": field}.
    subject_fields = models.JSONField(_("主体识别字段"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    consultation_started_at = models.DateTimeField(_("征求意见开始时间"), null=True, blank=True)
    consultation_ends_on = models.DateField(_("征求意见截止日期"), null=True, blank=True)
    # Art. 9 requires consultation; only the initial load may skip it, and it records why.
    consultation_skipped_reason = models.TextField(_("未征求意见的理由"), blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    retired_at = models.DateTimeField(_("废止时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("目录版本")
        verbose_name_plural = _("目录版本")
        ordering = ["entry__code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "number"], name="catalog_version_unique"),
            models.UniqueConstraint(fields=["entry"], condition=models.Q(state="published"),
                                    name="one_published_version_per_entry"),
            # One version at a time is being worked on (draft or out for consultation).
            models.UniqueConstraint(fields=["entry"], condition=models.Q(state__in=["draft", "consultation"]),
                                    name="one_open_version_per_entry"),
            models.CheckConstraint(condition=models.Q(state__in=VersionState.values),
                                   name="catalog_version_state_valid"),
            models.CheckConstraint(condition=models.Q(open_level__in=OpenLevel.values),
                                   name="catalog_version_open_level_valid"),
            models.CheckConstraint(condition=models.Q(frequency__in=Frequency.values),
                                   name="catalog_version_frequency_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.entry.code} v{self.number} ({self.get_state_display()})"


class ConsultationComment(models.Model):
    """A public comment on a catalog version during consultation (Art. 9)."""

    version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, related_name="comments",
                                verbose_name=_("目录版本"))
    author_name = models.CharField(_("提出人"), max_length=100)
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    text = models.TextField(_("意见"))
    reply = models.TextField(_("答复"), blank=True)
    created_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("征求意见")
        verbose_name_plural = _("征求意见")
        ordering = ["version", "created_at"]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:20]}"


class CatalogEvent(models.Model):
    """The catalog's change log: one row per service operation, written in its transaction.

    ``event`` is a typed code such as ``catalog:version:published``; ``before``/``after`` hold
    the values that changed. Rows are only ever added (Art. 9 traceability of the catalog).
    """

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.CharField(_("操作人"), max_length=150)
    event = models.CharField(_("事件"), max_length=64)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="catalog_events", verbose_name=_("部门"))
    entry = models.ForeignKey(CatalogEntry, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="events", verbose_name=_("目录条目"))
    version = models.ForeignKey(CatalogVersion, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="events", verbose_name=_("目录版本"))
    before = models.JSONField(_("变更前"), default=dict, blank=True)
    after = models.JSONField(_("变更后"), default=dict, blank=True)
    reason = models.TextField(_("理由"), blank=True)

    class Meta:
        verbose_name = _("目录变更记录")
        verbose_name_plural = _("目录变更记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event} {self.actor}"
