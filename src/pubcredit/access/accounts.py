"""Accounts: create, disable, and issue an authenticator — the one writer for each.

The CLI (``pubcredit users``) and the OpenID Connect sign-in call these; nothing else creates
accounts. Staff roles get ``is_staff`` (the back office) and must enrol a second factor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from pubcredit.access import otp, signals
from pubcredit.access.models import Role, User
from pubcredit.errors import Conflict, InvalidInput, NotFound, NotPermitted

if TYPE_CHECKING:
    from pubcredit.catalog.models import Department
    from pubcredit.subjects.models import Subject


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


def check_account(*, role: str, superuser: bool, department: Department | None, subject: Subject | None,
                  user: User | None = None) -> None:
    """What an account's role asks of it, whoever creates or changes it (the CLI, the back office).

    Officers belong to an active department; subject and agency accounts are bound to their
    subject, and no other account to either; only an operator may be a superuser. ``user`` is the
    account being changed (a department it already belongs to may since have been disabled).
    Raises InvalidInput (``field`` names the part at fault).
    """
    if role not in Role.values:
        raise InvalidInput(f"角色 {role} 不存在，可选：{', '.join(Role.values)}", field="role")
    if superuser and role != Role.OPERATOR:
        raise InvalidInput("只有平台运营人员可以是超级管理员", field="superuser")
    if role == Role.OFFICER:
        if department is None:
            raise InvalidInput("部门工作人员必须指定所属部门", field="department")
        if not department.is_active and (user is None or user.department_id != department.pk):
            raise InvalidInput(f"部门 {department.code} 已停用", field="department")
    elif department is not None:
        raise InvalidInput("只有部门工作人员属于部门", field="department")
    if role in (Role.SUBJECT, Role.AGENCY):
        if subject is None:
            raise InvalidInput("信用主体或信用服务机构账号必须绑定主体代码", field="subject")
    elif subject is not None:
        raise InvalidInput("只有信用主体或信用服务机构账号绑定主体", field="subject")


def check_username(username: str, *, user: User | None = None) -> str:
    """``username`` trimmed, if it is one and no other account (``user`` aside) has it, whatever
    its case. Raises InvalidInput, Conflict."""
    username = username.strip()
    if not username or len(username) > 150:
        raise InvalidInput("用户名不能为空，且不超过 150 个字符", field="username")
    taken = User.objects.filter(username__iexact=username)
    if user is not None:
        taken = taken.exclude(pk=user.pk)
    if taken.exists():
        raise Conflict(f"用户名 {username} 已被使用", field="username")
    return username


def _apply_password(user: User, password: str | None) -> None:
    if password is None:
        user.set_unusable_password()
        return
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput("；".join(exc.messages), field="password") from exc
    user.set_password(password)


@transaction.atomic
def create_account(*, username: str, role: str, password: str | None, actor: str,
                   department_code: str = "", subject_code: str = "", email: str = "",
                   superuser: bool = False, department: Department | None = None,
                   subject: Subject | None = None) -> User:
    """Create an account of ``role``.

    Officers belong to a department; subject and agency accounts are bound to their subject
    (found by its USCC or resident ID, or given as ``subject``; the department by its code or
    as ``department``). Staff roles get the back office (``is_staff``); only an operator may be a
    superuser (``check_account``). ``password=None`` leaves the account without a usable password
    (it signs in through the identity provider only).
    """
    from pubcredit.catalog import queries as catalog_queries
    from pubcredit.subjects import queries as subject_queries

    username = check_username(username)
    if role not in Role.values:
        raise InvalidInput(f"角色 {role} 不存在，可选：{', '.join(Role.values)}", field="role")
    if department is None and department_code:
        if role != Role.OFFICER:
            raise InvalidInput("只有部门工作人员属于部门", field="department")
        department = catalog_queries.department_by_code(department_code)
    if subject is None and subject_code:
        if role not in (Role.SUBJECT, Role.AGENCY):
            raise InvalidInput("只有信用主体或信用服务机构账号绑定主体", field="subject")
        subject = subject_queries.subject_by_code(subject_code)
    check_account(role=role, superuser=superuser, department=department, subject=subject)

    user = User(username=username, email=email, role=role, department=department, subject=subject,
                is_staff=role in otp.STAFF_ROLES, is_superuser=superuser)
    _apply_password(user, password)
    user.save()
    signals.account_created.send(sender=__name__, user=user, actor=actor, at=timezone.now())
    return user


def _state(user: User) -> dict[str, Any]:
    """What an account change is audited with (never the password: ``set_password`` says only
    whether it is usable)."""
    return {
        "username": user.username, "email": user.email, "first_name": user.first_name, "last_name": user.last_name,
        "role": user.role, "department": user.department.code if user.department is not None else None,
        "subject": user.subject_id, "is_staff": user.is_staff, "is_superuser": user.is_superuser,
        "is_active": user.is_active,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(f"{app}.{codename}" for app, codename in
                              user.user_permissions.values_list("content_type__app_label", "codename")),
    }


_UNCHANGED: Any = object()


def manages_every_account(by: User) -> bool:
    """The platform operator (and any superuser): changes any account, its rights included."""
    return bool(by.is_active and (by.is_superuser or by.role == Role.OPERATOR))


def may_manage(by: User | None, user: User) -> bool:
    """Whether ``by`` may change ``user`` (its details, whether it is active, its password).

    ``None`` is the platform itself (the CLI). The operator (and any superuser) manages every
    account; a department's officer only the officers of its own department — never an
    operator's, an auditor's or a superuser's account, nor another department's. Anyone else
    (an auditor reads, it changes nothing) manages none.
    """
    if by is None or manages_every_account(by):
        return True
    return bool(by.is_active and by.role == Role.OFFICER and by.department_id is not None
                and user.role == Role.OFFICER and not user.is_superuser and user.department_id == by.department_id)


def _pks(items: Iterable[Any]) -> set[Any]:
    return {getattr(item, "pk", item) for item in items}


def check_account_change(by: User | None, user: User, *, role: str = _UNCHANGED,
                         department: Department | None = _UNCHANGED, superuser: bool = _UNCHANGED,
                         groups: Iterable[Group] = _UNCHANGED, permissions: Iterable[Permission] = _UNCHANGED) -> None:
    """Whether ``by`` may make this change to ``user`` (``None``: the platform itself).

    Only the operator (or a superuser) changes an account's role, department, superuser status,
    groups or permissions — anyone's; an officer changes only its own department's officers
    (``may_manage``); nobody raises its own rights (makes itself superuser, gives itself a group or
    a permission). Raises NotPermitted (``field`` names the part at fault).
    """
    if by is None:
        return
    if not may_manage(by, user):
        raise NotPermitted("只能修改本部门工作人员的账号；平台运营人员、审计监督人员、超级管理员及其他部门的账号"
                           "只有平台运营人员可以修改")
    new_groups = None if groups is _UNCHANGED else _pks(groups)
    new_permissions = None if permissions is _UNCHANGED else _pks(permissions)
    old_groups = _pks(user.groups.all()) if new_groups is not None else set()
    old_permissions = _pks(user.user_permissions.all()) if new_permissions is not None else set()
    if not manages_every_account(by):
        changes = (
            ("role", role is not _UNCHANGED and role != user.role, "角色"),
            ("department", department is not _UNCHANGED
             and getattr(department, "pk", None) != user.department_id, "所属部门"),
            ("superuser", superuser is not _UNCHANGED and bool(superuser) != user.is_superuser, "超级管理员身份"),
            ("groups", new_groups is not None and new_groups != old_groups, "用户组"),
            ("permissions", new_permissions is not None and new_permissions != old_permissions, "权限"),
        )
        for field, changed, label in changes:
            if changed:
                raise NotPermitted(f"只有平台运营人员可以修改账号的{label}", field=field)
    if by.pk == user.pk:
        if superuser is not _UNCHANGED and superuser and not user.is_superuser:
            raise NotPermitted("不能提升自己的权限：不能把自己设为超级管理员", field="superuser")
        if role is not _UNCHANGED and role == Role.OPERATOR and user.role != Role.OPERATOR:
            raise NotPermitted("不能提升自己的权限：不能把自己设为平台运营人员", field="role")
        if new_groups is not None and new_groups - old_groups:
            raise NotPermitted("不能提升自己的权限：不能把自己加入用户组", field="groups")
        if new_permissions is not None and new_permissions - old_permissions:
            raise NotPermitted("不能提升自己的权限：不能给自己增加权限", field="permissions")


def _administers(role: str, superuser: bool, is_active: bool) -> bool:
    return bool(is_active and (role == Role.OPERATOR or superuser))


def check_keeps_an_operator(user: User, *, role: str, superuser: bool, is_active: bool) -> None:
    """Refuse a change that would leave no active operator-or-superuser account (nobody could
    manage the platform from the back office any more). ``update_account`` checks it with the
    operators' rows locked. Raises Conflict."""
    if not _administers(user.role, user.is_superuser, user.is_active) or _administers(role, superuser, is_active):
        return
    others = User.objects.filter(Q(role=Role.OPERATOR) | Q(is_superuser=True), is_active=True).exclude(pk=user.pk)
    if not others.exists():
        raise Conflict("这是最后一个可用的平台运营人员（或超级管理员）账号，不能停用或降级，否则将无人能管理平台",
                       field="role" if is_active else "is_active")


@transaction.atomic
def update_account(user: User | int, *, actor: str, by: User | None, username: str = _UNCHANGED,
                   role: str = _UNCHANGED,
                   department: Department | None = _UNCHANGED, subject: Subject | None = _UNCHANGED,
                   superuser: bool = _UNCHANGED, is_active: bool = _UNCHANGED, email: str = _UNCHANGED,
                   first_name: str = _UNCHANGED, last_name: str = _UNCHANGED,
                   groups: Iterable[Group] = _UNCHANGED, permissions: Iterable[Permission] = _UNCHANGED) -> User:
    """Change an account (the back office's user form): what is not given stays.

    ``by`` is the account making the change (``None``: the platform itself): only the operator
    (or a superuser) changes an account's rights, an officer only its own department's officers,
    and nobody raises its own rights (``check_account_change``). The last active operator or
    superuser is neither disabled nor demoted (``check_keeps_an_operator``, with the operators'
    rows locked so that two such changes at once cannot both pass).
    Checked as ``create_account`` checks a new account (``check_account``: only an operator may
    be a superuser, officers belong to an active department…); ``is_staff`` follows the role.
    Art. 38, 39: the change is audited with the old and new values of what changed
    (``access:account:updated``; a superuser, role, department, group or permission given or
    taken is there); disabling is ``access:account:disabled`` as from the CLI, enabling again
    ``access:account:enabled``. Raises InvalidInput, NotPermitted, Conflict (username taken,
    the last operator).
    """
    # The operators' rows first (always in the same order), then the account's.
    list(User.objects.select_for_update().filter(Q(role=Role.OPERATOR) | Q(is_superuser=True), is_active=True)
         .order_by("pk").values_list("pk", flat=True))
    locked = User.objects.select_for_update().get(pk=user.pk if isinstance(user, User) else user)
    check_account_change(by, locked, role=role, department=department, superuser=superuser, groups=groups,
                         permissions=permissions)
    before = _state(locked)
    role = locked.role if role is _UNCHANGED else role
    department = locked.department if department is _UNCHANGED else department
    subject = locked.subject if subject is _UNCHANGED else subject
    superuser = locked.is_superuser if superuser is _UNCHANGED else bool(superuser)
    check_account(role=role, superuser=superuser, department=department, subject=subject, user=locked)
    check_keeps_an_operator(locked, role=role, superuser=superuser,
                            is_active=locked.is_active if is_active is _UNCHANGED else bool(is_active))
    if username is not _UNCHANGED:
        locked.username = check_username(username, user=locked)
    for name, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value is not _UNCHANGED:
            setattr(locked, name, value.strip())
    locked.role, locked.department, locked.subject, locked.is_superuser = role, department, subject, superuser
    locked.is_staff = role in otp.STAFF_ROLES
    if is_active is not _UNCHANGED:
        locked.is_active = bool(is_active)
    locked.save()
    if groups is not _UNCHANGED:
        locked.groups.set(list(groups))
    if permissions is not _UNCHANGED:
        locked.user_permissions.set(list(permissions))
    after = _state(locked)
    changed = sorted(key for key in after if key != "is_active" and after[key] != before[key])
    now = timezone.now()
    if changed:
        signals.account_updated.send(sender=__name__, user=locked, actor=actor, at=now, changed=changed,
                                     old={key: before[key] for key in changed},
                                     new={key: after[key] for key in changed})
    if before["is_active"] and not locked.is_active:
        signals.account_disabled.send(sender=__name__, user=locked, actor=actor, at=now)
    elif locked.is_active and not before["is_active"]:
        signals.account_enabled.send(sender=__name__, user=locked, actor=actor, at=now)
    return locked


@transaction.atomic
def set_password(user: User | int, password: str | None, *, actor: str, by: User | None = None) -> User:
    """Set an account's password (checked by the password validators), or, with ``None``, leave
    it without a usable one (it signs in through the identity provider only). Audited as
    ``access:account:password_set`` — whether the password is usable, never the password.
    ``by`` is the account setting it (``None``: the platform itself): only the operator (or a
    superuser) sets an operator's, an auditor's, a superuser's or another department's password
    (``may_manage``). Raises InvalidInput, NotPermitted."""
    locked = User.objects.select_for_update().get(pk=user.pk if isinstance(user, User) else user)
    if not may_manage(by, locked):
        raise NotPermitted("只有平台运营人员可以设置平台运营人员、审计监督人员、超级管理员或其他部门账号的密码",
                           field="password")
    _apply_password(locked, password)
    locked.save(update_fields=["password"])
    signals.password_set.send(sender=__name__, user=locked, actor=actor, at=timezone.now(),
                              usable=password is not None)
    return locked


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
