"""Back-office view of the working-day calendar: read only.

The calendar changes only through ``pubcredit workdays load`` (``services.load_schedule``),
which validates a whole year at once and keeps the replaced version; editing single days here
would bypass both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from pubcredit.adminkit import ReadOnlyAdmin
from pubcredit.workdays.models import CalendarDay, ScheduleYear
from pubcredit.workdays.rules import WEEKDAY_NAMES

if TYPE_CHECKING:
    _CalendarDayAdmin = admin.ModelAdmin[CalendarDay]
    _ScheduleYearAdmin = admin.ModelAdmin[ScheduleYear]
else:  # ModelAdmin is not subscriptable at run time
    _CalendarDayAdmin = _ScheduleYearAdmin = admin.ModelAdmin


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin, _CalendarDayAdmin):
    list_display = ["date", "weekday", "kind", "holiday_name", "schedule"]
    list_filter = ["kind", "schedule", "holiday_name"]
    search_fields = ["holiday_name"]
    date_hierarchy = "date"
    list_select_related = ["schedule"]
    list_per_page = 100

    @admin.display(description=_("星期"))
    def weekday(self, obj: CalendarDay) -> str:
        return WEEKDAY_NAMES[obj.date.weekday()]


@admin.register(ScheduleYear)
class ScheduleYearAdmin(ReadOnlyAdmin, _ScheduleYearAdmin):
    list_display = ["year", "source", "loaded_at", "loaded_by", "day_count"]
    search_fields = ["source", "loaded_by"]
    readonly_fields = ["year", "source", "loaded_at", "loaded_by", "history"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScheduleYear]:
        return super().get_queryset(request).annotate(n_days=Count("days"))

    @admin.display(description=_("特殊日数"), ordering="n_days")
    def day_count(self, obj: ScheduleYear) -> int:
        return int(getattr(obj, "n_days", 0))
