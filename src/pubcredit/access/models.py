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
