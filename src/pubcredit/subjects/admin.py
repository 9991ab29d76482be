"""Back-office for subjects: every save goes through subjects.services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import CappedCountAdmin, CheckedInputAdmin
from pubcredit.errors import PubcreditError
from pubcredit.subjects import pii, services
from pubcredit.subjects.models import NameChange, Subject, SubjectKind, SubjectRelation


class SubjectAddForm(forms.ModelForm):  # type: ignore[type-arg]
    resident_id = forms.CharField(label=_("身份证号码"), max_length=18, required=False,
                                  help_text=_("自然人必填；加密保存，仅显示脱敏号码。"))

    class Meta:
        model = Subject
        fields = ["kind", "name", "uscc", "verified"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        try:
            if kind == SubjectKind.NATURAL_PERSON:
                if not data.get("resident_id"):
                    self.add_error("resident_id", _("自然人必须填写身份证号码"))
                else:
                    data["resident_id"] = services.check_resident_id(data["resident_id"])
                    if Subject.objects.filter(resident_id_hash=pii.resident_id_hash(data["resident_id"])).exists():
                        self.add_error("resident_id", _("该身份证号码对应的自然人已登记"))
                data["uscc"] = None
            elif kind:
                if not data.get("uscc"):
                    self.add_error("uscc", _("组织必须填写统一社会信用代码"))
                else:
                    data["uscc"] = services.check_uscc(data["uscc"])
                    if Subject.objects.filter(uscc=data["uscc"]).exists():
                        self.add_error("uscc", _("该统一社会信用代码已登记"))
        except PubcreditError as exc:
            self.add_error("resident_id" if kind == SubjectKind.NATURAL_PERSON else "uscc", exc.message)
        return data


class RelationInline(admin.TabularInline):  # type: ignore[type-arg]
    model = SubjectRelation
    fk_name = "organization"
    extra = 0
    fields = ("role", "related", "since", "until", "source")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NameChangeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = NameChange
    extra = 0
    fields = ("old_name", "new_name", "changed_at", "source")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subject)
class SubjectAdmin(CappedCountAdmin, CheckedInputAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "display_code", "region_code", "verified", "created_at"]
    list_filter = ["kind", "verified"]
    # ILIKE on the name (the trigram index serves it; ``icontains`` would read every subject) and
    # the code exactly (its unique index).
    search_fields = ["name__ilike_contains", "=uscc"]
    inlines = [RelationInline, NameChangeInline]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = SubjectAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["kind", "name", "uscc", "resident_id", "verified"]
        return ["kind", "name", "display_code", "region_code", "verified", "source", "created_at", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return ["kind", "display_code", "region_code", "source", "created_at", "updated_at"]

    @admin.display(description=_("代码"))
    def display_code(self, obj: Subject) -> str:
        return obj.display_code

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Subject],
                           search_term: str) -> tuple[QuerySet[Subject], bool]:
        term = search_term.strip().upper()
        if len(term) == 18 and term[:17].isdigit():
            # A resident ID number (found by its keyed hash), or a USCC whose first 17 characters
            # happen to be digits (as many are): both look-ups are unique indexes.
            return queryset.filter(Q(resident_id_hash=pii.resident_id_hash(term)) | Q(uscc=term)), False
        return super().get_search_results(request, queryset, search_term)

    def save_model(self, request: HttpRequest, obj: Subject, form: Any, change: bool) -> None:
        actor = f"admin:{request.user.get_username()}"
        data = form.cleaned_data
        try:
            if not change:
                if data["kind"] == SubjectKind.NATURAL_PERSON:
                    created = services.register_person(name=data["name"], resident_id=data["resident_id"],
                                                       verified=data.get("verified", True), actor=actor)
                else:
                    created = services.register_organization(kind=data["kind"], name=data["name"],
                                                             uscc=data["uscc"], verified=data.get("verified", True),
                                                             actor=actor)
                obj.pk = created.pk
                return
            current = Subject.objects.get(pk=obj.pk)
            if data["name"] != current.name:
                services.rename(current, data["name"], actor=actor)
            if data.get("verified") and not current.verified:
                services.mark_verified(current, actor=actor)
        except PubcreditError as exc:  # only a concurrent change can get here: the form checked
            self.message_user(request, exc.message, level=messages.ERROR)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RelationForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = SubjectRelation
        fields = ["organization", "role", "related", "since", "source"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("organization") and data.get("related") and data.get("role"):
            try:
                services.check_relation(organization=data["organization"], related=data["related"],
                                        role=data["role"])
            except PubcreditError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(SubjectRelation)
class SubjectRelationAdmin(CheckedInputAdmin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["organization", "role", "related", "since", "until"]
    list_filter = ["role"]
    autocomplete_fields = ["organization", "related"]
    form = RelationForm
    fields = ["organization", "role", "related", "since", "source"]

    def save_model(self, request: HttpRequest, obj: SubjectRelation, form: Any, change: bool) -> None:
        relation = services.relate(organization=obj.organization, related=obj.related, role=obj.role,
                                   since=obj.since, source=obj.source, actor=f"admin:{request.user.get_username()}")
        obj.pk = relation.pk

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
