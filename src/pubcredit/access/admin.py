"""Back-office for accounts, API tokens, the government application list and the query log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from pubcredit.access import accounts, services, tokens
from pubcredit.access.models import ApiToken, Authorization, Matter, QueryLog, Role, User
from pubcredit.adminkit import CappedCountAdmin, CheckedInputAdmin, ReadOnlyAdmin, own_department_only
from pubcredit.catalog.models import Department
from pubcredit.errors import PubcreditError

if TYPE_CHECKING:
    _TokenAdmin = admin.ModelAdmin[ApiToken]
    _MatterAdmin = admin.ModelAdmin[Matter]
    _AuthAdmin = admin.ModelAdmin[Authorization]
    _LogAdmin = admin.ModelAdmin[QueryLog]
else:
    _TokenAdmin = _MatterAdmin = _AuthAdmin = _LogAdmin = admin.ModelAdmin


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


#: ``access.accounts``' names of an account's parts, as the user forms name them.
_FORM_FIELD = {"superuser": "is_superuser", "password": "password2", "permissions": "user_permissions"}


def _as_form_error(form: forms.BaseForm, exc: PubcreditError) -> None:
    field = _FORM_FIELD.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


#: The change form's fields that are an account's rights (only the operator changes them), by
#: ``accounts.check_account_change``'s names.
_RIGHTS = {"role": "role", "department": "department", "is_superuser": "superuser", "groups": "groups",
           "user_permissions": "permissions"}


class _AccountRules:
    """The rules of ``access.accounts`` checked on the form, so that a refused account is shown
    again with its error (nothing saved) instead of failing when it is saved. ``acting_user``
    (set by ``UserAdmin.get_form``) is the account making the change."""

    acting_user: User | None = None

    def _check_account(self, data: dict[str, Any], user: User | None) -> None:
        form = cast(forms.ModelForm, self)  # type: ignore[type-arg]
        if form.errors:
            return
        try:
            if "username" in data:
                data["username"] = accounts.check_username(data["username"], user=user)
            accounts.check_account(
                role=data.get("role", user.role if user else ""),
                superuser=bool(data.get("is_superuser", user.is_superuser if user else False)),
                department=data.get("department", user.department if user else None),
                subject=data.get("subject", user.subject if user else None),
                user=user)
            by = getattr(self, "acting_user", None)
            if user is not None and by is not None:
                accounts.check_account_change(by, user, **{name: data[field] for field, name in _RIGHTS.items()
                                                           if field in data})
                accounts.check_keeps_an_operator(
                    user, role=data.get("role", user.role),
                    superuser=bool(data.get("is_superuser", user.is_superuser)),
                    is_active=bool(data.get("is_active", user.is_active)))
        except PubcreditError as exc:
            _as_form_error(form, exc)


class AccountCreationForm(_AccountRules, AdminUserCreationForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_account(data, None)
        return data


class AccountChangeForm(_AccountRules, UserChangeForm):  # type: ignore[type-arg]
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_account(data, self.instance if self.instance.pk else None)
        return data


#: The change form's fields ``accounts.update_account`` takes, by its names.
_ACCOUNT_FIELDS = {"username": "username", "email": "email", "first_name": "first_name", "last_name": "last_name",
                   "role": "role", "department": "department", "subject": "subject", "is_superuser": "superuser",
                   "is_active": "is_active", "groups": "groups", "user_permissions": "permissions"}


@admin.register(User)
class UserAdmin(CheckedInputAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    """Accounts, created and changed through ``access.accounts`` — the same checks (only an
    operator may be a superuser, officers belong to a department…) and the same audit entries
    as ``pubcredit users``; ``is_staff`` follows the role."""

    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = ["username", "role", "department", "subject", "is_staff", "is_active", "last_login"]
    list_filter = ["role", "is_staff", "is_active", "department"]
    autocomplete_fields = ["subject"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("平台角色"), {"fields": ("role", "department", "subject")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("平台角色"), {"fields": ("role", "department", "subject")}))

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        """Officers list only their own department's accounts; the operator (and any
        superuser) and auditors (who only read) every account."""
        return own_department_only(request, super().get_queryset(request))

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"acting_user": request.user, "__module__": form.__module__})

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if not obj:
            return []
        fields = ["is_staff", "last_login", "date_joined"]
        if not _issues_for_any_department(request.user):  # only the operator changes an account's rights
            fields += ["role", "department", "subject", "is_superuser", "groups", "user_permissions"]
        return fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Only the operator (or a superuser) adds accounts: an account is added with its role."""
        return _issues_for_any_department(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Auditors only read; an officer changes only its own department's officers."""
        if getattr(request.user, "role", "") == Role.AUDITOR and not getattr(request.user, "is_superuser", False):
            return False
        if obj is not None and not accounts.may_manage(cast(User, request.user), obj):
            return False
        return bool(super().has_change_permission(request, obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are disabled, never deleted: the logs refer to them

    def response_add(self, request: HttpRequest, obj: User, post_url_continue: str | None = None) -> HttpResponse:
        if obj.pk is None:  # the service refused it (its message is shown): the empty form again
            return HttpResponseRedirect(request.path)
        return super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                saved = accounts.update_account(obj.pk, actor=_actor(request), by=cast(User, request.user),
                                                **{name: data[field] for field, name in _ACCOUNT_FIELDS.items()
                                                   if field in data})
            else:
                saved = accounts.create_account(
                    username=data["username"], role=data["role"], actor=_actor(request),
                    password=data.get("password1") if data.get("set_usable_password", True) else None,
                    department=data.get("department"), subject=data.get("subject"))
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            if change:
                obj.refresh_from_db()
            return
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Groups and permissions were saved with the account (``update_account``, audited)."""

    @method_decorator(sensitive_post_parameters())
    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        """Django's password form, the password set through ``accounts.set_password`` (audited).
        Only the operator (or a superuser) sets an operator's, an auditor's, a superuser's or
        another department's password (``accounts.may_manage``): 403 otherwise."""
        target = self.get_object(request, unquote(id))
        if target is None:
            target = self._unscoped(unquote(id))
        if target is not None and not accounts.may_manage(cast(User, request.user), target):
            raise PermissionDenied
        user = self.get_object(request, unquote(id)) if request.method == "POST" else None
        if user is not None and self.has_change_permission(request, user):
            form = self.change_password_form(user, request.POST)
            if form.is_valid() and (form.cleaned_data["set_usable_password"] or "unset-password" in request.POST):
                usable = form.cleaned_data["set_usable_password"]
                try:
                    user = accounts.set_password(user, form.cleaned_data["password1"] if usable else None,
                                                 actor=_actor(request), by=cast(User, request.user))
                except PubcreditError as exc:
                    self.message_user(request, exc.message, level=messages.ERROR)
                    return HttpResponseRedirect(request.get_full_path())
                self.log_change(request, user, self.construct_change_message(request, form, []))
                self.message_user(request, _("密码已修改。") if usable else _("已停用密码登录。"),
                                  level=messages.SUCCESS)
                update_session_auth_hash(request, user)
                return HttpResponseRedirect(reverse(f"{self.admin_site.name}:access_user_change", args=(user.pk,)))
        return super().user_change_password(request, id, form_url)

    def _unscoped(self, object_id: str) -> User | None:
        """The account ``object_id`` names, whoever may list it (``None`` if none)."""
        try:
            return User.objects.filter(pk=User._meta.pk.to_python(object_id)).first()
        except ValidationError:
            return None


class TokenForm(forms.ModelForm):  # type: ignore[type-arg]
    """Tokens issued here are departments' (an agency's is issued with its organisation, in code)."""

    class Meta:
        model = ApiToken
        fields = ["name", "department"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("department")
        if isinstance(field, forms.ModelChoiceField):
            field.required = True  # its choices: ApiTokenAdmin.formfield_for_foreignkey


def _issues_for_any_department(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", "") == Role.OPERATOR)


@admin.register(ApiToken)
class ApiTokenAdmin(CheckedInputAdmin, _TokenAdmin):
    """Departments' tokens. The operator issues them for any active department; an officer (given
    the permission) only for their own, and lists and revokes only their own department's."""

    form = TokenForm
    list_display = ["prefix", "name", "department", "agency", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["department", "revoked_at"]
    actions = ["revoke_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiToken]:
        return own_department_only(request, super().get_queryset(request))

    def has_add_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return super().has_add_permission(request) and (
            _issues_for_any_department(user)
            or (getattr(user, "role", "") == Role.OFFICER and getattr(user, "department_id", None) is not None))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "department":
            departments = Department.objects.filter(is_active=True).order_by("code")
            if not _issues_for_any_department(request.user):
                departments = departments.filter(pk=getattr(request.user, "department_id", None) or 0)
            kwargs["queryset"] = departments
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["prefix", "name", "department", "agency", "created_by", "created_at", "last_used_at",
                "revoked_at", "revoked_by"] if obj else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        department = form.cleaned_data["department"]
        if not _issues_for_any_department(request.user) and department.pk != getattr(request.user, "department_id",
                                                                                         None):
            self.message_user(request, _("只能为本部门签发令牌"), level=messages.ERROR)
            return
        try:
            issued = tokens.create_department_token(department, name=form.cleaned_data["name"],
                                                    actor=_actor(request))
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = issued.token.pk
        notice = _("令牌已签发，只显示这一次，请立即妥善保存：%(secret)s") % {"secret": issued.secret}
        self.message_user(request, notice, level=messages.WARNING)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Auditors only read, every department's tokens: they revoke none (an officer revokes only
        its own department's, ``get_queryset``)."""
        if getattr(request.user, "role", "") == Role.AUDITOR and not getattr(request.user, "is_superuser", False):
            return False
        return bool(super().has_change_permission(request, obj))

    @admin.action(description=_("吊销所选令牌"), permissions=["change"])
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke_token(token, actor=_actor(request))
            done += 1
        self.message_user(request, _("已吊销 %(n)d 个令牌") % {"n": done})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MatterForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Matter
        fields = ["department", "code", "name", "legal_basis", "entries", "published"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                services.check_matter(name=data.get("name") or "", legal_basis=data.get("legal_basis") or "",
                                      entries=data.get("entries") or [])
            except PubcreditError as exc:
                _as_form_error(self, exc)
        return data


@admin.register(Matter)
class MatterAdmin(CheckedInputAdmin, _MatterAdmin):
    """Art. 27: matters are defined and changed through ``access.services`` (checked, audited)."""

    form = MatterForm
    list_display = ["code", "name", "department", "published"]
    list_filter = ["department", "published"]
    search_fields = ["code", "name"]
    filter_horizontal = ["entries"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Matter]:
        return own_department_only(request, super().get_queryset(request))

    def _publishes(self, request: HttpRequest) -> bool:
        """Art. 27: the credit office compiles and publishes the application list; a department's
        officer reads its own department's matters, and does not widen them."""
        user = request.user
        return bool(getattr(user, "is_superuser", False) or getattr(user, "role", "") == "operator")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self._publishes(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._publishes(request) and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["department", "code"] if obj else []

    def save_model(self, request: HttpRequest, obj: Matter, form: Any, change: bool) -> None:
        data = form.cleaned_data
        try:
            if change:
                matter = services.update_matter(obj.pk, name=data["name"], legal_basis=data["legal_basis"],
                                                entries=data["entries"], published=data["published"],
                                                actor=_actor(request))
            else:
                matter = services.define_matter(department=data["department"], code=data["code"], name=data["name"],
                                                legal_basis=data["legal_basis"], entries=data["entries"],
                                                published=data["published"], actor=_actor(request))
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            if change:
                obj.refresh_from_db()
            return
        obj.pk = matter.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The entries were saved with the matter (``define_matter``, ``update_matter``)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Authorization)
class AuthorizationAdmin(ReadOnlyAdmin, _AuthAdmin):
    list_display = ["subject", "grantee", "purpose", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["revoked_at"]
    raw_id_fields = ["subject", "grantee"]


@admin.register(QueryLog)
class QueryLogAdmin(CappedCountAdmin, ReadOnlyAdmin, _LogAdmin):
    """Who read whom, why. An officer sees only the reads of their own department (Art. 14); the
    operator and auditors see all."""

    list_display = ["at", "reader_name", "reader_kind", "subject", "levels", "purpose", "matter", "channel"]
    list_filter = ["reader_kind", "channel"]
    raw_id_fields = ["subject", "user", "agency", "department", "matter", "authorization"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[QueryLog]:
        return own_department_only(request, super().get_queryset(request))
