"""Back-office for accounts, API tokens, the government application list and the query log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.access import services, tokens
from pubcredit.access.models import ApiToken, Authorization, Matter, QueryLog, User
from pubcredit.adminkit import CappedCountAdmin, CheckedInputAdmin, ReadOnlyAdmin
from pubcredit.catalog.models import Department
from pubcredit.errors import PubcreditError

if TYPE_CHECKING:
    _TokenAdmin = admin.ModelAdmin[ApiToken]
    _MatterAdmin = admin.ModelAdmin[Matter]
    _AuthAdmin = admin.ModelAdmin[Authorization]
    _LogAdmin = admin.ModelAdmin[QueryLog]
else:
    _TokenAdmin = _MatterAdmin = _AuthAdmin = _LogAdmin = admin.ModelAdmin


@admin.register(User)
class UserAdmin(CheckedInputAdmin, DjangoUserAdmin):  # type: ignore[type-arg]
    list_display = ["username", "role", "department", "subject", "is_staff", "is_active", "last_login"]
    list_filter = ["role", "is_staff", "is_active", "department"]
    autocomplete_fields = ["subject"]
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), (_("平台角色"), {"fields": ("role", "department", "subject")}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, (_("平台角色"), {"fields": ("role", "department", "subject")}))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # accounts are disabled, never deleted: the logs refer to them


class TokenForm(forms.ModelForm):  # type: ignore[type-arg]
    """Tokens issued here are departments' (an agency's is issued with its organisation, in code)."""

    class Meta:
        model = ApiToken
        fields = ["name", "department"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("department")
        if isinstance(field, forms.ModelChoiceField):
            field.required = True
            field.queryset = Department.objects.filter(is_active=True).order_by("code")


@admin.register(ApiToken)
class ApiTokenAdmin(CheckedInputAdmin, _TokenAdmin):
    form = TokenForm
    list_display = ["prefix", "name", "department", "agency", "created_by", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["department", "revoked_at"]
    actions = ["revoke_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["prefix", "name", "department", "agency", "created_by", "created_at", "last_used_at",
                "revoked_at", "revoked_by"] if obj else []

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        try:
            issued = tokens.create_department_token(form.cleaned_data["department"], name=form.cleaned_data["name"],
                                                    actor=f"admin:{request.user.get_username()}")
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = issued.token.pk
        notice = _("令牌已签发，只显示这一次，请立即妥善保存：%(secret)s") % {"secret": issued.secret}
        self.message_user(request, notice, level=messages.WARNING)

    @admin.action(description=_("吊销所选令牌"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        for token in queryset.filter(revoked_at__isnull=True):
            tokens.revoke_token(token, actor=f"admin:{request.user.get_username()}")
            done += 1
        self.message_user(request, _("已吊销 %(n)d 个令牌") % {"n": done})

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MatterForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Matter
        fields = ["department", "code", "name", "legal_basis", "entries", "published"]


@admin.register(Matter)
class MatterAdmin(CheckedInputAdmin, _MatterAdmin):
    form = MatterForm
    list_display = ["code", "name", "department", "published"]
    list_filter = ["department", "published"]
    search_fields = ["code", "name"]
    filter_horizontal = ["entries"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["department", "code"] if obj else []

    def save_model(self, request: HttpRequest, obj: Matter, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            data = form.cleaned_data
            matter = services.define_matter(department=data["department"], code=data["code"], name=data["name"],
                                            legal_basis=data["legal_basis"], entries=data["entries"],
                                            actor=f"admin:{request.user.get_username()}")
        except PubcreditError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        obj.pk = matter.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Authorization)
class AuthorizationAdmin(ReadOnlyAdmin, _AuthAdmin):
    list_display = ["subject", "grantee", "purpose", "valid_from", "valid_until", "revoked_at"]
    list_filter = ["revoked_at"]
    raw_id_fields = ["subject", "grantee"]


@admin.register(QueryLog)
class QueryLogAdmin(CappedCountAdmin, ReadOnlyAdmin, _LogAdmin):
    list_display = ["at", "reader_name", "reader_kind", "subject", "levels", "purpose", "matter", "channel"]
    list_filter = ["reader_kind", "channel"]
    raw_id_fields = ["subject", "user", "agency", "department", "matter", "authorization"]
    date_hierarchy = "at"
