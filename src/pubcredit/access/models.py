"""Accounts and roles (Art. 14, 27, 33, 38, 39)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from pubcredit.catalog.models import OpenLevel


class Role(models.TextChoices):
    SUBJECT = "subject", _("信用主体")
    OFFICER = "officer", _("部门工作人员")
    AGENCY = "agency", _("信用服务机构")
    OPERATOR = "operator", _("平台运营人员")
    AUDITOR = "auditor", _("审计监督人员")


class User(AbstractUser):
    """A platform account. A subject account is bound to its subject; an officer to a department."""

    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.SUBJECT)
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="users", verbose_name=_("所属部门"))
    subject = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="accounts", verbose_name=_("绑定主体"))

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


class ApiToken(models.Model):
    """A machine credential for a department (collection) or a credit agency.

    Only a SHA-256 digest of the secret is stored; the secret is shown once, at creation.
    ``prefix`` (the first characters of the secret) lets operators tell tokens apart.
    """

    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("令牌摘要"))
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="api_tokens", verbose_name=_("所属部门"))
    agency = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="api_tokens", verbose_name=_("信用服务机构"))
    created_by = models.CharField(_("创建人"), max_length=150)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.CharField(_("吊销人"), max_length=150, blank=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        constraints = [
            models.CheckConstraint(
                name="token_has_one_owner",
                condition=(models.Q(department__isnull=False, agency__isnull=True)
                           | models.Q(department__isnull=True, agency__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… {self.name}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Authorization(models.Model):
    """A subject's grant to a named querier to read its authorised-level information (Art. 14, 17, 38).

    Valid only between ``valid_from`` and ``valid_until`` and until revoked; refused at once after.
    The grantee is an organisation (a credit agency or any organisation) identified as a subject.
    """

    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="authorizations_given",
                                verbose_name=_("授权主体"))
    grantee = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="authorizations_held",
                                verbose_name=_("被授权查询方"))
    purpose = models.CharField(_("查询用途"), max_length=200)
    valid_from = models.DateField(_("生效日期"))
    valid_until = models.DateField(_("截止日期"))
    created_at = models.DateTimeField(_("授权时间"), auto_now_add=True)
    created_by = models.CharField(_("操作人"), max_length=150)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.CharField(_("撤销人"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("查询授权")
        verbose_name_plural = _("查询授权")
        indexes = [models.Index(fields=["subject", "grantee"], name="authz_subject_grantee_idx")]
        constraints = [
            models.CheckConstraint(name="authz_period_ordered",
                                   condition=models.Q(valid_until__gte=models.F("valid_from"))),
            models.CheckConstraint(name="authz_not_self", condition=~models.Q(subject=models.F("grantee"))),
        ]

    def __str__(self) -> str:
        return f"{self.subject_id} → {self.grantee_id} ({self.purpose})"


class Matter(models.Model):
    """An item of the government application list (Art. 27): which department may read which
    catalog entries, for which matter (办理事项), on which legal basis."""

    department = models.ForeignKey("catalog.Department", on_delete=models.PROTECT, related_name="matters",
                                   verbose_name=_("使用部门"))
    code = models.SlugField(_("事项编码"), max_length=60, unique=True)
    name = models.CharField(_("办理事项"), max_length=200)
    legal_basis = models.TextField(_("依据"))
    entries = models.ManyToManyField("catalog.CatalogEntry", related_name="matters", verbose_name=_("可查询目录"))
    published = models.BooleanField(_("已公布"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        verbose_name = _("政务应用清单事项")
        verbose_name_plural = _("政务应用清单")
        ordering = ["department__code", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class QueryChannel(models.TextChoices):
    """The channels a non-public read is logged with (``Reader.channel``), as the subject's query log names them."""

    WEB = "web", _("网页")
    API = "api", _("接口")
    BATCH = "batch", _("批量查询")
    PDF = "pdf", _("PDF 报告")


class QueryLog(models.Model):
    """One non-public read (Art. 33, 39): who read which subject's what, why, when, how.

    Kept at least ten years (Zhejiang); rows are never changed or deleted.
    """

    at = models.DateTimeField(_("查询时间"), auto_now_add=True, db_index=True)
    # Indexed by (subject, at) below: a second index on subject alone is only written, never read.
    subject = models.ForeignKey("subjects.Subject", on_delete=models.PROTECT, related_name="queries",
                                verbose_name=_("被查询主体"), db_index=False)
    reader_kind = models.CharField(_("查询方类别"), max_length=16)
    reader_name = models.CharField(_("查询方"), max_length=200)
    user = models.ForeignKey("access.User", null=True, blank=True, on_delete=models.PROTECT, related_name="queries",
                             verbose_name=_("查询用户"))
    department = models.ForeignKey("catalog.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="queries", verbose_name=_("查询部门"))
    agency = models.ForeignKey("subjects.Subject", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="queries_made", verbose_name=_("查询机构"))
    levels = ArrayField(models.CharField(max_length=16), verbose_name=_("开放等级"))
    entries = ArrayField(models.CharField(max_length=40), default=list, verbose_name=_("目录条目"))
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    matter = models.ForeignKey(Matter, null=True, blank=True, on_delete=models.PROTECT, related_name="queries",
                               verbose_name=_("政务应用清单事项"))
    authorization = models.ForeignKey(Authorization, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="queries", verbose_name=_("查询授权"))
    channel = models.CharField(_("渠道"), max_length=16)

    class Meta:
        verbose_name = _("查询日志")
        verbose_name_plural = _("查询日志")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "at"], name="querylog_subject_at_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.reader_name} → {self.subject_id}"

    # As the subject reads its query log (谁查询了我, Art. 33): who read, what, how, in words. Read the
    # rows with ``select_related("agency", "department")`` (``access.queries.query_log_for``).

    @property
    def reader_label(self) -> str:
        """Who read: the organisation reading under an authorisation, else the department, else the
        reader's role (a supervisor), else the logged name."""
        if self.agency is not None:
            return self.agency.name
        if self.department is not None:
            return self.department.name
        if self.reader_kind in Role.values:
            return str(Role(self.reader_kind).label)
        return self.reader_name

    @property
    def level_labels(self) -> list[str]:
        return [str(OpenLevel(lv).label) if lv in OpenLevel.values else lv for lv in self.levels]

    @property
    def channel_label(self) -> str:
        return str(QueryChannel(self.channel).label) if self.channel in QueryChannel.values else self.channel


# Login machinery (second factor, failed-login and request-rate counters): see login_models.
from pubcredit.access.login_models import LoginThrottle, RateCounter, TotpDevice  # noqa: E402, F401
