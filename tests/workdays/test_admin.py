"""The back-office lists the calendar read-only (the only writer is ``load_schedule``)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from pubcredit.workdays.admin import CalendarDayAdmin, ScheduleYearAdmin
from pubcredit.workdays.models import CalendarDay, ScheduleYear


@pytest.mark.parametrize(("model", "admin_class"), [(CalendarDay, CalendarDayAdmin), (ScheduleYear, ScheduleYearAdmin)])
def test_registered_read_only(model: type, admin_class: type) -> None:
    model_admin = admin.site._registry[model]
    assert isinstance(model_admin, admin_class)
    request = RequestFactory().get("/")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.django_db
def test_lists_with_day_counts_and_weekdays() -> None:
    request = RequestFactory().get("/")
    years = admin.site._registry[ScheduleYear]
    assert isinstance(years, ScheduleYearAdmin)
    row = years.get_queryset(request).get(year=2025)
    assert years.day_count(row) == 33  # 28 holidays + 5 make-up working days
    days = admin.site._registry[CalendarDay]
    assert isinstance(days, CalendarDayAdmin)
    assert days.weekday(CalendarDay.objects.get(date="2025-01-26")) == "周日"
    assert str(CalendarDay.objects.get(date="2025-01-26")) == "2025-01-26 春节调休上班日"
    assert str(ScheduleYear.objects.get(year=2025)) == "2025 年节假日安排"
