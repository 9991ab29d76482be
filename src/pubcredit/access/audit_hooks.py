"""Art. 38, 39, 51: logins of privileged roles and account changes go into the audit chain.

Connected in ``AccessConfig.ready``. Each receiver writes one audit entry inside the current
transaction (the sealer chains it later).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from pubcredit.access import signals
from pubcredit.audit.services import record_event

PRIVILEGED = ("officer", "operator", "auditor")


def _who(user: Any) -> tuple[str, str]:
    return f"user:{user.get_username()}", str(getattr(user, "role", ""))


def _privileged(user: Any) -> bool:
    return bool(getattr(user, "is_staff", False) or getattr(user, "is_superuser", False)
                or getattr(user, "role", "") in PRIVILEGED)


@receiver(user_logged_in, dispatch_uid="audit-password-login")
def _password_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if _privileged(user):
        actor, role = _who(user)
        record_event("access:login:password", actor=actor, actor_role=role, object_type="user",
                     object_id=str(user.pk), channel="web")


@receiver(user_login_failed, dispatch_uid="audit-login-failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    record_event("access:login:failed", actor=f"user:{username}", object_type="user", object_id=username,
                 channel="web")


@receiver(signals.second_factor_passed, dispatch_uid="audit-2fa-passed")
def _second_factor(sender: Any, user: Any, **kwargs: Any) -> None:
    actor, role = _who(user)
    record_event("access:login:second_factor", actor=actor, actor_role=role, object_type="user",
                 object_id=str(user.pk), channel="web", data={"ip": str(kwargs.get("ip", ""))})


@receiver(signals.second_factor_failed, dispatch_uid="audit-2fa-failed")
def _second_factor_failed(sender: Any, user: Any, **kwargs: Any) -> None:
    actor, role = _who(user)
    record_event("access:login:second_factor_failed", actor=actor, actor_role=role, object_type="user",
                 object_id=str(user.pk), channel="web", data={"reason": str(kwargs.get("reason", ""))})


@receiver(signals.login_locked, dispatch_uid="audit-login-locked")
def _locked(sender: Any, username: str, **kwargs: Any) -> None:
    record_event("access:login:locked", actor=f"user:{username}", object_type="user", object_id=username,
                 channel="web", data={"scope": str(kwargs.get("scope", "")), "until": str(kwargs.get("until", ""))})


@receiver(signals.totp_enrolled, dispatch_uid="audit-totp-enrolled")
def _totp_enrolled(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:totp:enrolled", actor=str(kwargs.get("by", "")) or _who(user)[0], object_type="user",
                 object_id=str(user.pk))


@receiver(signals.totp_removed, dispatch_uid="audit-totp-removed")
def _totp_removed(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:totp:removed", actor=str(kwargs.get("actor", "")), object_type="user", object_id=str(user.pk))


@receiver(signals.account_created, dispatch_uid="audit-account-created")
def _account_created(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:account:created", actor=str(kwargs.get("actor", "")), object_type="user",
                 object_id=str(user.pk), data={"role": str(getattr(user, "role", ""))})


@receiver(signals.account_disabled, dispatch_uid="audit-account-disabled")
def _account_disabled(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:account:disabled", actor=str(kwargs.get("actor", "")), object_type="user",
                 object_id=str(user.pk))


@receiver(signals.account_updated, dispatch_uid="audit-account-updated")
def _account_updated(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:account:updated", actor=str(kwargs.get("actor", "")), object_type="user",
                 object_id=str(user.pk), data={"changed": list(kwargs.get("changed", [])),
                                               "old": dict(kwargs.get("old", {})), "new": dict(kwargs.get("new", {}))})


@receiver(signals.account_enabled, dispatch_uid="audit-account-enabled")
def _account_enabled(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:account:enabled", actor=str(kwargs.get("actor", "")), object_type="user",
                 object_id=str(user.pk))


@receiver(signals.password_set, dispatch_uid="audit-password-set")
def _password_set(sender: Any, user: Any, **kwargs: Any) -> None:
    record_event("access:account:password_set", actor=str(kwargs.get("actor", "")), object_type="user",
                 object_id=str(user.pk), data={"usable": bool(kwargs.get("usable", True))})
