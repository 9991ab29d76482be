"""Accounts and roles (Art. 14, 27, 33, 38, 39)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


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
    digest = models.CharField(max_length=64, unique=True, editable=False)
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
