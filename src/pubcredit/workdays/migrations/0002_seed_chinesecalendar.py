"""Seed the calendar with every year the chinesecalendar package knows: 2004–2026.

chinesecalendar keeps two dicts, ``chinese_calendar.holidays`` and ``chinese_calendar.workdays``
(make-up working days), each mapping a date to a ``chinese_calendar.Holiday`` value (the
English name); ``Holiday(value).chinese`` is the Chinese name (春节, 国庆节, …). Its data
covers the published State Council notices and it refuses later years.

The years are fixed here rather than read from the package, so that a fresh database gets the
same seed whichever chinesecalendar version is installed later; newer years are loaded by
operators with ``pubcredit workdays load``. A December day named New Year's Day belongs to the
next year's notice (e.g. 2018-12-29 上班 was set by the 2019 notice), as the loader also does.
"""

from django.db import migrations
from django.utils import timezone

SEED_YEARS = range(2004, 2027)
LOADED_BY = "migration:workdays.0002"


def seed(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar import Holiday

    ScheduleYear = apps.get_model("workdays", "ScheduleYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")

    def chinese_name(value):
        try:
            return Holiday(value).chinese
        except ValueError:  # a name added by a later package version: keep it as given
            return str(value)

    def schedule_year(day, value):
        if day.month == 12 and value == Holiday.new_years_day.value:
            return day.year + 1
        return day.year

    version = getattr(chinese_calendar, "__version__", "?")
    now = timezone.now()
    for year in SEED_YEARS:
        ScheduleYear.objects.create(
            year=year,
            source=f"chinesecalendar {version}（据国务院办公厅历年节假日安排通知整理）",
            loaded_at=now,
            loaded_by=LOADED_BY,
        )
    rows = []
    for table, kind in ((chinese_calendar.holidays, "holiday"), (chinese_calendar.workdays, "makeup_workday")):
        for day, value in table.items():
            year = schedule_year(day, value)
            if year in SEED_YEARS:
                rows.append(CalendarDay(date=day, kind=kind, holiday_name=chinese_name(value), schedule_id=year))
    CalendarDay.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    ScheduleYear = apps.get_model("workdays", "ScheduleYear")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    seeded = ScheduleYear.objects.filter(loaded_by=LOADED_BY)
    CalendarDay.objects.filter(schedule__in=seeded).delete()
    seeded.delete()


class Migration(migrations.Migration):
    dependencies = [("workdays", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
