"""Rows behind logins: second-factor devices, failed-login counters and request-rate counters.

Kept in their own module (imported at the end of ``access.models`` so Django registers them)
because they belong to the login machinery, not to the access rules of Art. 14–39.

The counters are written with single ``INSERT … ON CONFLICT DO UPDATE`` statements (see
``throttle`` and ``ratelimit``), so they are exact across several gunicorn workers; the
per-process locmem cache would give each worker its own count.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TotpDevice(models.Model):
    """A user's enrolled authenticator (RFC 6238 TOTP, 30 s steps, 6 digits).

    ``secret`` is the base32 seed encrypted with the platform's PII key (AES-256-GCM, purpose
    ``totp_secret``): a copy of the database alone does not let anyone compute codes.
    ``last_used_step`` is the time step of the last accepted code; a code of that step or an
    earlier one is refused, so an observed code cannot be replayed.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device",
                                verbose_name=_("用户"))
    secret = models.BinaryField(editable=False, verbose_name=_("密钥（加密）"))
    enrolled_at = models.DateTimeField(_("绑定时间"))
    enrolled_by = models.CharField(_("绑定方式"), max_length=150)
    last_used_step = models.BigIntegerField(null=True, blank=True, editable=False, verbose_name=_("最近使用的时间步"))
    last_used_at = models.DateTimeField(_("最近验证"), null=True, blank=True)

    class Meta:
        verbose_name = _("动态口令设备")
        verbose_name_plural = _("动态口令设备")

    def __str__(self) -> str:
        return f"TOTP {self.user_id}"


class LoginThrottle(models.Model):
    """Failed attempts of one kind (``scope``: username, ip, totp) for one ``key`` in the window.

    ``locked_until`` is set when the failures reach the limit; until then every attempt for the
    key is refused without checking the password or the code.
    """

    scope = models.CharField(max_length=16, verbose_name=_("范围"))
    key = models.CharField(max_length=200, verbose_name=_("对象"))
    failures = models.PositiveIntegerField(default=0, verbose_name=_("失败次数"))
    window_started = models.DateTimeField(verbose_name=_("计数开始时间"))
    locked_until = models.DateTimeField(null=True, blank=True, verbose_name=_("锁定至"))

    class Meta:
        verbose_name = _("登录失败计数")
        verbose_name_plural = _("登录失败计数")
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_scope_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key} ({self.failures})"


class RateCounter(models.Model):
    """Requests of one client under one rate-limit rule in the current fixed window.

    The table is UNLOGGED (migration 0004): counters are worth losing on a crash, and not
    writing them to the WAL keeps the per-request cost to one short statement.
    """

    bucket = models.CharField(max_length=200, primary_key=True, verbose_name=_("计数对象"))
    window_end = models.BigIntegerField(verbose_name=_("窗口结束时间"))
    hits = models.PositiveIntegerField(verbose_name=_("次数"))

    class Meta:
        verbose_name = _("访问频率计数")
        verbose_name_plural = _("访问频率计数")

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"
