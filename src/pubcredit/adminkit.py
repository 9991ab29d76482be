"""Shared pieces of the back-office (Django admin)."""

from __future__ import annotations

from functools import cached_property
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _

#: Lists of large tables count at most this many rows (see ``CappedCountAdmin``).
COUNT_CAP = 10_000


class _CheckedAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget shows a form sent back with errors by looking up the value
    typed in as an id: ``abc`` raised ValueError while the page was drawn (a 500). Values that are
    not ids of the related model are left out of that look-up (the field's error says why)."""

    def optgroups(self, name: str, value: Any, attr: Any = None) -> Any:
        target = self.field.remote_field.model._meta.get_field(
            getattr(self.field.remote_field, "field_name", None) or self.field.remote_field.model._meta.pk.name)
        kept = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            if "\x00" not in str(item):
                kept.append(item)
        return super().optgroups(name, kept, attr)


class CheckedInputAdmin:
    """What the back-office takes from the request, checked before Django's admin uses it: a
    selected row that is not an id (``abc``, ``1.5``, a NUL) given to an action, a NUL character
    in a filter (which PostgreSQL cannot compare), and a related-object field sent back with an
    invalid id, each answered 500. Every registered ModelAdmin has this mixin (a test walks the
    registry)."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if "widget" not in kwargs and db_field.name in cast(Any, self).get_autocomplete_fields(request):
            kwargs["widget"] = _CheckedAutocompleteSelect(db_field, cast(Any, self).admin_site,
                                                          using=kwargs.get("using"))
        return cast(Any, super()).formfield_for_foreignkey(db_field, request, **kwargs)

    def response_action(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        from django.contrib.admin import helpers

        pk = cast(Any, self).model._meta.pk
        try:
            for value in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME):
                pk.to_python(value)
                if "\x00" in value:
                    raise ValidationError("NUL")
        except ValidationError:
            cast(Any, self).message_user(request, _("所选条目无效，请在列表中重新勾选。"), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return cast(Any, super()).response_action(request, queryset)  # type: ignore[no-any-return]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        from django.contrib.admin.views.main import ERROR_FLAG, SEARCH_VAR

        # (the search box has its own answer to a NUL: see the admins' get_search_results)
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values
               if key != SEARCH_VAR):
            return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")  # as Django answers a bad filter
        return cast(Any, super()).changelist_view(request, extra_context)  # type: ignore[no-any-return]


def check_input_everywhere(site: admin.AdminSite | None = None) -> None:
    """Give every registered ModelAdmin the checks of ``CheckedInputAdmin``, those of Django's own
    apps and of libraries too (groups, task results): run once the admin modules are loaded."""
    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, CheckedInputAdmin):
            kind = type(model_admin)
            site.unregister(model)
            site.register(model, type(kind.__name__, (CheckedInputAdmin, kind), {"__module__": kind.__module__}))


class ReadOnlyAdmin(CheckedInputAdmin):
    """No add, change or delete: only viewing (the view permission is still required).

    For state that changes only through a service (logs, calendars, batches, records): editing a
    row here would bypass the service's checks and its audit entry.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CappedCountPaginator(Paginator):  # type: ignore[type-arg]
    """Counts at most ``COUNT_CAP`` + 1 rows (``SELECT count(*) FROM (… LIMIT n)``).

    The admin counts the filtered rows of every list page it shows. On records, audit entries,
    the query log or issued reports — tens of millions of rows in a city — that count read a
    department's or a filter's whole share of the table on every click, for a page of 100 rows.
    ``capped`` says the true number is larger; pages past the cap are not offered.
    """

    capped = False

    @cached_property
    def count(self) -> int:
        rows = cast("QuerySet[Any]", self.object_list)  # the admin paginates querysets
        found = rows[: COUNT_CAP + 1].count()
        self.capped = found > COUNT_CAP
        return min(found, COUNT_CAP)


def search_by_ids(queryset: QuerySet[Any], match: Q) -> tuple[QuerySet[Any], bool]:
    """A back-office search's answer: the rows of ``queryset`` among those ``match`` finds.

    ``match`` should be index-served conditions (exact keys, codes). Their ids are found first,
    unordered and capped like the list's count: given the list's ORDER BY and LIMIT instead, the
    planner may walk the primary or time index backwards through the whole table, filtering.
    The result is ``get_search_results``' pair (no duplicates to remove).
    """
    manager = queryset.model._default_manager
    ids = list(manager.filter(match).order_by().values_list("pk", flat=True)[: COUNT_CAP + 1])
    return queryset.filter(pk__in=ids), False


class CappedCountAdmin:
    """A changelist that counts with ``CappedCountPaginator`` (never the whole table, no facet
    counts) and tells the officer when the list holds more rows than it counted."""

    paginator: type[Paginator] = CappedCountPaginator  # type: ignore[type-arg]
    show_full_result_count = False
    # Facet counts (one count per filter choice) would read the filtered rows again, uncapped.
    show_facets = admin.ShowFacets.NEVER

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response: HttpResponse = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and getattr(changelist.paginator, "capped", False):
            # Added before the response is rendered, so this page shows it.
            messages.info(request, _("符合条件的记录超过 %(n)d 条，仅计数并列出前 %(n)d 条；请用筛选或搜索缩小范围。")
                          % {"n": COUNT_CAP})
        return response


class JSONFormField(forms.JSONField):
    """Django's JSON form field, but JSON nested deeper than Python's parser goes is a form error
    (it raises RecursionError, which Django's field does not catch: a 500 in the back-office)."""

    def to_python(self, value: Any) -> Any:
        try:
            return super().to_python(value)
        except RecursionError:
            from pubcredit.textinput import JSON_TOO_DEEP

            raise ValidationError(JSON_TOO_DEEP, code="invalid") from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # shown again as typed, with the error above it
            from django.forms.fields import InvalidJSONInput

            return InvalidJSONInput(data)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return super().has_changed(initial, data)
        except RecursionError:
            return True



def sees_every_department(user: Any) -> bool:
    """The platform operator (and any superuser) and auditors see every department's rows in the
    back-office; everyone else only their own department's (``own_department_only``)."""
    return bool(getattr(user, "is_superuser", False) or getattr(user, "role", "") in ("operator", "auditor"))


def acting_department(user: Any) -> Any:
    """The department a back-office user acts for, as services that check it take it: ``None`` for
    the operator (and any superuser), who acts for the platform; otherwise the user's own
    department. Raises NotPermitted for an account with neither (an auditor, an officer without a
    department): it acts for no department."""
    from pubcredit.errors import NotPermitted

    if getattr(user, "is_superuser", False) or getattr(user, "role", "") == "operator":
        return None
    department = getattr(user, "department", None)
    if department is None:
        raise NotPermitted("只有部门工作人员（或平台运营人员）可以办理", field="department")
    return department


def own_department_only(request: HttpRequest, qs: QuerySet[Any], field: str = "department_id") -> QuerySet[Any]:
    """Art. 14 in the back-office: an officer sees only their own department's rows (``field``
    names the department: the one that submitted, recorded or read).

    Everything else a department may read goes through the application-list query paths
    (matter + purpose, logged); the platform operator and auditors see all rows here.
    """
    user = request.user
    if sees_every_department(user):
        return qs
    return qs.filter(**{field: getattr(user, "department_id", None) or 0})
