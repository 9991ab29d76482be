"""Back office for the catalog (Art. 9, 13, 14): every save and every state change goes through
``catalog.services``, so validation, Art. 37 refusals and the change log apply here too.

``state`` is never a form field: versions move only by the actions 开始征求意见 / 发布 / 废止.
A refused step shows a message, never an error page. Nothing here can be deleted.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CheckedInputAdmin, JSONFormField
from pubcredit.catalog import rules, services
from pubcredit.catalog.models import (
    CatalogEntry,
    CatalogEvent,
    CatalogVersion,
    ConsultationComment,
    Department,
    VersionState,
)
from pubcredit.errors import InvalidInput, PubcreditError

if TYPE_CHECKING:
    _DepartmentAdmin = admin.ModelAdmin[Department]
    _EntryAdmin = admin.ModelAdmin[CatalogEntry]
    _VersionAdmin = admin.ModelAdmin[CatalogVersion]
    _CommentAdmin = admin.ModelAdmin[ConsultationComment]
    _EventAdmin = admin.ModelAdmin[CatalogEvent]
    _VersionInline = admin.TabularInline[CatalogVersion, CatalogEntry]
    _DepartmentForm = ModelForm[Department]
    _EntryForm = ModelForm[CatalogEntry]
    _VersionForm = ModelForm[CatalogVersion]
    _CommentForm = ModelForm[ConsultationComment]
else:  # ModelAdmin and ModelForm are not subscriptable at run time
    _DepartmentAdmin = _EntryAdmin = _VersionAdmin = _CommentAdmin = _EventAdmin = admin.ModelAdmin
    _VersionInline = admin.TabularInline
    _DepartmentForm = _EntryForm = _VersionForm = _CommentForm = ModelForm


def _actor(request: HttpRequest) -> str:
    return f"admin:{request.user.get_username()}"


def _as_validation_error(exc: InvalidInput, form_fields: set[str]) -> ValidationError:
    """Attach a service error to the form field it names (``fields[3].type`` → ``fields``)."""
    head = (exc.field or "").split(".")[0].split("[")[0]
    message = str(exc) if exc.field else exc.message
    return ValidationError({head: message} if head in form_fields else message)


class _NoDelete(CheckedInputAdmin):
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _back_to_form(request: HttpRequest) -> HttpResponse:
    """After a service refused an add (its message is already shown), show the empty form again."""
    return HttpResponseRedirect(request.path)


# --- departments ---

class DepartmentForm(_DepartmentForm):
    class Meta:
        model = Department
        fields = ["code", "name", "uscc", "district_code", "is_active"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if "code" in self.fields:
                code = rules.check_code(data.get("code"))
                if Department.objects.filter(code__iexact=code).exists():
                    raise InvalidInput(f"部门编码 {code} 已存在", field="code")
            data["uscc"] = rules.check_uscc(data.get("uscc", ""))
            rules.check_district(data.get("district_code"))
        except InvalidInput as exc:
            raise _as_validation_error(exc, set(self.fields)) from exc
        return data


@admin.register(Department)
class DepartmentAdmin(_NoDelete, _DepartmentAdmin):
    form = DepartmentForm
    list_display = ["code", "name", "uscc", "district_code", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "uscc"]

    def get_readonly_fields(self, request: HttpRequest, obj: Department | None = None) -> list[str]:
        return ["code", "created_at"] if obj is not None else []

    def response_add(self, request: HttpRequest, obj: Department, post_url_continue: str | None = None) -> HttpResponse:
        return _back_to_form(request) if obj.pk is None else super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        try:
            if change:
                services.update_department(obj, name=obj.name, uscc=obj.uscc, district_code=obj.district_code,
                                           is_active=obj.is_active, actor=_actor(request))
            else:
                created = services.create_department(obj.code, obj.name, uscc=obj.uscc,
                                                     district_code=obj.district_code, actor=_actor(request))
                if not obj.is_active:
                    services.update_department(created, is_active=False, actor=_actor(request))
                obj.pk = created.pk
                obj.refresh_from_db()
        except PubcreditError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)


# --- entries ---

class CatalogVersionInline(_VersionInline):
    model = CatalogVersion
    fields = ["number", "state", "open_level", "frequency", "consultation_ends_on", "published_at", "retired_at"]
    readonly_fields = ["number", "state", "open_level", "frequency", "consultation_ends_on", "published_at",
                       "retired_at"]
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CatalogEntryForm(_EntryForm):
    class Meta:
        model = CatalogEntry
        fields = ["code", "name", "department", "info_class"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            code = rules.check_code(data.get("code"))
            if CatalogEntry.objects.filter(code__iexact=code).exists():
                raise InvalidInput(f"目录编码 {code} 已存在", field="code")
        except InvalidInput as exc:
            raise _as_validation_error(exc, set(self.fields)) from exc
        department = data.get("department")
        if department is not None and not department.is_active:
            raise ValidationError({"department": f"部门 {department.code} 已停用，不能新增目录条目"})
        return data


@admin.register(CatalogEntry)
class CatalogEntryAdmin(_NoDelete, _EntryAdmin):
    """Entries are created here; afterwards their identity (code, provider, class) is fixed."""

    form = CatalogEntryForm
    list_display = ["code", "name", "department", "info_class", "published_number"]
    list_filter = ["info_class", "department"]
    search_fields = ["code", "name"]
    list_select_related = ["department"]
    inlines = [CatalogVersionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: CatalogEntry | None = None) -> list[str]:
        return ["code", "name", "department", "info_class", "created_at"] if obj is not None else []

    def response_add(self, request: HttpRequest, obj: CatalogEntry,
                     post_url_continue: str | None = None) -> HttpResponse:
        return _back_to_form(request) if obj.pk is None else super().response_add(request, obj, post_url_continue)

    @admin.display(description=_("现行版本"))
    def published_number(self, obj: CatalogEntry) -> str:
        version = obj.versions.filter(state=VersionState.PUBLISHED).first()
        return f"第 {version.number} 版" if version is not None else "—"

    def save_model(self, request: HttpRequest, obj: CatalogEntry, form: Any, change: bool) -> None:
        if change:
            return  # nothing is editable once created
        try:
            created = services.create_entry(obj.code, obj.name, obj.department, obj.info_class, actor=_actor(request))
            obj.pk = created.pk
            obj.refresh_from_db()
        except PubcreditError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)


# --- versions ---

_CONTENT_FORM_FIELDS = ["item", "subject_kinds", "open_level", "frequency", "fields", "natural_key",
                        "decision_date_field", "legal_basis", "domain", "disclosure_months", "repair_rules",
                        "submission_lag_workdays", "note", "subject_fields"]


class CatalogVersionForm(_VersionForm):
    """Content of a draft; checked by the same rules as the services before anything is saved."""

    class Meta:
        model = CatalogVersion
        fields = ["entry", *_CONTENT_FORM_FIELDS]
        field_classes = {"fields": JSONFormField, "repair_rules": JSONFormField, "subject_fields": JSONFormField}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        entry = data.get("entry") or (self.instance.entry if self.instance.pk else None)
        if entry is None or self.errors:
            return data
        if self.instance.pk and self.instance.state != VersionState.DRAFT:
            raise ValidationError(f"当前状态为「{rules.state_label(self.instance.state)}」，只有草稿可以修改")
        if not self.instance.pk and entry.versions.filter(state__in=rules.OPEN_STATES).exists():
            raise ValidationError(f"目录条目 {entry.code} 已有草稿或征求意见中的版本，请在该版本上修改")
        content = {key: data.get(key) for key in _CONTENT_FORM_FIELDS}
        for key in ("decision_date_field", "domain", "note"):
            content[key] = content[key] or ""
        try:
            normalised = rules.validate_version_content(info_class=entry.info_class, **content)
        except InvalidInput as exc:
            raise _as_validation_error(exc, set(self.fields)) from exc
        data.update(normalised)
        return data


@admin.register(CatalogVersion)
class CatalogVersionAdmin(_NoDelete, _VersionAdmin):
    form = CatalogVersionForm
    list_display = ["entry", "number", "state", "open_level", "frequency", "consultation_ends_on", "published_at"]
    list_filter = ["state", "open_level", "entry__info_class", "entry__department"]
    search_fields = ["entry__code", "entry__name"]
    list_select_related = ["entry"]
    actions = ["open_consultation_action", "publish_action", "retire_action"]
    _READONLY_ALWAYS = ["number", "state", "created_at", "consultation_started_at", "consultation_ends_on",
                        "consultation_skipped_reason", "published_at", "retired_at"]

    def has_change_permission(self, request: HttpRequest, obj: CatalogVersion | None = None) -> bool:
        # Only drafts have editable content; other versions open read-only (actions still apply).
        if obj is not None and obj.state != VersionState.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request: HttpRequest, obj: CatalogVersion | None = None) -> list[str]:
        if obj is None:
            return list(self._READONLY_ALWAYS)
        if obj.state != VersionState.DRAFT:
            return ["entry", *_CONTENT_FORM_FIELDS, *self._READONLY_ALWAYS]
        return ["entry", *self._READONLY_ALWAYS]

    def response_add(self, request: HttpRequest, obj: CatalogVersion,
                     post_url_continue: str | None = None) -> HttpResponse:
        return _back_to_form(request) if obj.pk is None else super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: CatalogVersion, form: Any, change: bool) -> None:
        content = {key: form.cleaned_data[key] for key in _CONTENT_FORM_FIELDS if key in form.cleaned_data}
        try:
            if change:
                services.update_draft(CatalogVersion.objects.get(pk=obj.pk), **content, actor=_actor(request))
            else:
                created = services.create_draft_version(obj.entry, **content, actor=_actor(request))
                obj.pk = created.pk
            obj.refresh_from_db()
        except PubcreditError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)

    def _run(self, request: HttpRequest, queryset: QuerySet[CatalogVersion], label: str, step: Any) -> None:
        done = 0
        for version in queryset.select_related("entry"):
            try:
                step(version)
                done += 1
            except PubcreditError as exc:
                self.message_user(request, str(exc), level=messages.ERROR)
        if done:
            self.message_user(request, f"{label}：{done} 个版本", level=messages.SUCCESS)

    @admin.action(description=_("开始征求意见"), permissions=["change"])
    def open_consultation_action(self, request: HttpRequest, queryset: QuerySet[CatalogVersion]) -> None:
        ends_on = timezone.localdate() + dt.timedelta(days=rules.CONSULTATION_DEFAULT_DAYS)
        self._run(request, queryset, f"已开始征求意见（截止 {ends_on.isoformat()}）",
                  lambda v: services.open_consultation(v, ends_on=ends_on, actor=_actor(request)))

    @admin.action(description=_("发布"), permissions=["change"])
    def publish_action(self, request: HttpRequest, queryset: QuerySet[CatalogVersion]) -> None:
        self._run(request, queryset, "已发布", lambda v: services.publish(v, actor=_actor(request)))

    @admin.action(description=_("废止"), permissions=["change"])
    def retire_action(self, request: HttpRequest, queryset: QuerySet[CatalogVersion]) -> None:
        self._run(request, queryset, "已废止", lambda v: services.retire(v, actor=_actor(request)))


# --- consultation comments ---

class ConsultationCommentForm(_CommentForm):
    reply = forms.CharField(label=_("答复"), widget=forms.Textarea, required=False)

    class Meta:
        model = ConsultationComment
        fields = ["version", "author_name", "contact", "text", "reply"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        version = data.get("version")
        if not self.instance.pk and version is not None and version.state != VersionState.CONSULTATION:
            raise ValidationError(f"该版本当前状态为「{rules.state_label(version.state)}」，只在征求意见期间接受意见")
        return data


@admin.register(ConsultationComment)
class ConsultationCommentAdmin(_NoDelete, _CommentAdmin):
    """Comments received (also by mail or letter) are entered here; replies go through the service."""

    form = ConsultationCommentForm
    list_display = ["version", "author_name", "created_at", "answered"]
    list_filter = ["version__state"]
    search_fields = ["author_name", "text", "version__entry__code"]
    list_select_related = ["version__entry"]

    @admin.display(description=_("已答复"), boolean=True)
    def answered(self, obj: ConsultationComment) -> bool:
        return bool(obj.reply)

    def get_readonly_fields(self, request: HttpRequest, obj: ConsultationComment | None = None) -> list[str]:
        if obj is None:
            return []
        return ["version", "author_name", "contact", "text", "created_at", "replied_at"]

    def response_add(self, request: HttpRequest, obj: ConsultationComment,
                     post_url_continue: str | None = None) -> HttpResponse:
        return _back_to_form(request) if obj.pk is None else super().response_add(request, obj, post_url_continue)

    def save_model(self, request: HttpRequest, obj: ConsultationComment, form: Any, change: bool) -> None:
        reply = form.cleaned_data.get("reply") or ""
        try:
            if change:
                if reply.strip():
                    services.reply_comment(ConsultationComment.objects.get(pk=obj.pk), reply=reply,
                                           actor=_actor(request))
            else:
                created = services.add_comment(obj.version, author_name=obj.author_name, text=obj.text,
                                               contact=obj.contact, actor=_actor(request))
                if reply.strip():
                    services.reply_comment(created, reply=reply, actor=_actor(request))
                obj.pk = created.pk
            obj.refresh_from_db()
        except PubcreditError as exc:
            self.message_user(request, str(exc), level=messages.ERROR)


# --- change log ---

@admin.register(CatalogEvent)
class CatalogEventAdmin(_NoDelete, _EventAdmin):
    """The catalog's change log, read only (auditors and operators)."""

    list_display = ["at", "event", "actor", "entry", "version", "department"]
    list_filter = ["event"]
    search_fields = ["actor", "entry__code", "department__code", "reason"]
    list_select_related = ["entry", "version__entry", "department"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
