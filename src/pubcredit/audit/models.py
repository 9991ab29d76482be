"""The audit log and its signed checkpoints (Art. 38, 39, 51).

Both tables are append-only, enforced by PostgreSQL triggers (migration 0002), not only here:
no DELETE, no TRUNCATE, and no UPDATE of an entry except the sealer's one-time filling of the
chain columns. There is no code path in Django that can change a row once written.

``data`` never holds a resident ID in clear: callers pass masked values, and
``services.record_event`` masks anything ID-shaped again as a safety net.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    WEB = "web", _("门户")
    API = "api", _("接口")
    CLI = "cli", _("命令行")
    ADMIN = "admin", _("管理后台")
    TASK = "task", _("后台任务")


class AuditEntry(models.Model):
    """One query or change of state, written in the transaction of the operation it records.

    The content columns are fixed at INSERT. The chain columns (``seq``, ``prev_hash``,
    ``entry_hash``, ``sealed_at``) are NULL until the sealer sets them once; ``seq`` order,
    not ``id`` order, is the chain order.
    """

    id = models.BigAutoField(primary_key=True, verbose_name=_("编号"))
    at = models.DateTimeField(_("时间"), db_default=Now(), editable=False)
    actor = models.CharField(_("操作人"), max_length=200, editable=False)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True, editable=False)
    event = models.CharField(_("事件"), max_length=100, editable=False)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True, editable=False)
    object_id = models.CharField(_("对象标识"), max_length=128, blank=True, editable=False)
    subject_id = models.BigIntegerField(_("信用主体"), null=True, blank=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices, blank=True, editable=False)
    data = models.JSONField(_("内容"), default=dict, blank=True, editable=False)

    seq = models.BigIntegerField(_("链序号"), null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(_("前一哈希"), max_length=64, null=True, blank=True, editable=False)
    entry_hash = models.CharField(_("本条哈希"), max_length=64, null=True, blank=True, editable=False)
    sealed_at = models.DateTimeField(_("封存时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("审计日志")
        verbose_name_plural = _("审计日志")
        ordering = ["-id"]
        default_permissions = ("view",)  # nothing to add, change or delete, even for a superuser
        indexes = [
            models.Index(fields=["id"], condition=models.Q(seq__isnull=True), name="audit_entry_unsealed"),
            models.Index(fields=["at"], name="audit_entry_at"),
            models.Index(fields=["subject_id", "at"], condition=models.Q(subject_id__isnull=False),
                         name="audit_entry_subject"),
            models.Index(fields=["object_type", "object_id"], name="audit_entry_object"),
            # The back-office finds an actor's or an event's entries, newest first, by these.
            models.Index(fields=["actor", "id"], name="audit_entry_actor"),
            models.Index(fields=["event", "id"], name="audit_entry_event"),
        ]
        constraints = [
            models.CheckConstraint(name="audit_entry_event_code",
                                   condition=models.Q(event__regex=r"^[a-z_]+(:[a-z_]+)+$")),
            models.CheckConstraint(
                name="audit_entry_chain_all_or_none",
                condition=(models.Q(seq__isnull=True, prev_hash__isnull=True, entry_hash__isnull=True,
                                    sealed_at__isnull=True)
                           | models.Q(seq__gte=1, prev_hash__regex=r"^[0-9a-f]{64}$",
                                      entry_hash__regex=r"^[0-9a-f]{64}$", sealed_at__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq or '-'} {self.event} {self.actor}"


class Checkpoint(models.Model):
    """A signed head of the chain: Ed25519 over ``rules.checkpoint_message(seq, head_hash, created_at)``.

    Like a Certificate Transparency signed tree head: once published, the history up to
    ``seq`` can no longer be rewritten without the signature failing to match.
    """

    id = models.BigAutoField(primary_key=True, verbose_name=_("编号"))
    seq = models.BigIntegerField(_("链序号"), unique=True, editable=False)
    head_hash = models.CharField(_("链头哈希"), max_length=64, editable=False)
    created_at = models.DateTimeField(_("签署时间"), editable=False)
    key_id = models.CharField(_("密钥标识"), max_length=32, editable=False)
    signature = models.CharField(_("签名"), max_length=128, editable=False)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["-seq"]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"checkpoint #{self.seq} {self.head_hash[:16]}…"
