"""Accounts: create, disable, and issue an authenticator — the one writer for each.

The CLI (``pubcredit users``) and the OpenID Connect sign-in call these; nothing else creates
accounts. Staff roles get ``is_staff`` (the back office) and must enrol a second factor.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from pubcredit.access import otp, signals
from pubcredit.access.models import Role, User
from pubcredit.errors import Conflict, InvalidInput, NotFound


@dataclass(frozen=True)
class IssuedTotp:
    user: User
    secret: str  # shown once; stored only encrypted
    uri: str


def user_by_username(username: str) -> User:
    """The account named ``username``; NotFound otherwise."""
    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在", field="username")
    return user


@transaction.atomic
def create_account(*, username: str, role: str, password: str | None, actor: str,
                   department_code: str = "", subject_code: str = "", email: str = "",
                   superuser: bool = False) -> User:
    """Create an account of ``role``.

    Officers belong to a department; subject and agency accounts are bound to their subject
    (found by its USCC or resident ID). Staff roles get the back office (``is_staff``); only an
    operator may be a superuser. ``password=None`` leaves the account without a usable password
    (it signs in through the identity provider only).
    """
    from pubcredit.catalog import queries as catalog_queries
    from pubcredit.subjects import queries as subject_queries

    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput("用户名不能为空，且不超过 150 个字符", field="username")
    if role not in Role.values:
        raise InvalidInput(f"角色 {role} 不存在，可选：{', '.join(Role.values)}", field="role")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"用户名 {username} 已被使用")
    if superuser and role != Role.OPERATOR:
        raise InvalidInput("只有平台运营人员可以是超级管理员", field="superuser")
    department = None
    if role == Role.OFFICER:
        if not department_code:
            raise InvalidInput("部门工作人员必须指定所属部门", field="department")
        department = catalog_queries.department_by_code(department_code)
        if not department.is_active:
            raise InvalidInput(f"部门 {department_code} 已停用", field="department")
    elif department_code:
        raise InvalidInput("只有部门工作人员属于部门", field="department")
    subject = None
    if role in (Role.SUBJECT, Role.AGENCY):
        if not subject_code:
            raise InvalidInput("信用主体或信用服务机构账号必须绑定主体代码", field="subject")
        subject = subject_queries.subject_by_code(subject_code)
    elif subject_code:
        raise InvalidInput("只有信用主体或信用服务机构账号绑定主体", field="subject")

    user = User(username=username, email=email, role=role, department=department, subject=subject,
                is_staff=role in otp.STAFF_ROLES, is_superuser=superuser)
    if password is None:
        user.set_unusable_password()
    else:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise InvalidInput("；".join(exc.messages), field="password") from exc
        user.set_password(password)
    user.save()
    signals.account_created.send(sender=__name__, user=user, actor=actor, at=timezone.now())
    return user


@transaction.atomic
def disable_account(username: str, *, actor: str) -> User:
    """Disable an account: refused at its next request (sessions end, passwords and codes fail)."""
    user = User.objects.select_for_update().filter(username=username).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在", field="username")
    if not user.is_active:
        raise Conflict(f"用户 {username} 已停用")
    user.is_active = False
    user.save(update_fields=["is_active"])
    signals.account_disabled.send(sender=__name__, user=user, actor=actor, at=timezone.now())
    return user


@transaction.atomic
def issue_totp(username: str, *, actor: str, reset: bool = False) -> IssuedTotp:
    """Bind a new authenticator secret to the account and return it, to be shown once.

    An account that has one keeps it unless ``reset`` (a lost phone): issuing over it silently
    would let whoever runs the command take over the second factor unnoticed.
    """
    user = user_by_username(username)
    if not user.is_active:
        raise Conflict(f"用户 {username} 已停用")
    if otp.has_device(user):
        if not reset:
            raise Conflict(f"用户 {username} 已绑定动态口令；确需更换（如手机丢失）请加 --reset")
        otp.remove(user)
        signals.totp_removed.send(sender=__name__, user=user, actor=actor, at=timezone.now())
    secret = otp.new_secret()
    otp.enrol(user, secret, by=f"cli:{actor}")
    signals.totp_enrolled.send(sender=__name__, user=user, ip="", at=timezone.now(), by=f"cli:{actor}")
    return IssuedTotp(user, secret, otp.provisioning_uri(secret, user.get_username()))
