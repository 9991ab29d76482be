"""Deadlines on the seeded official calendar: real holiday weeks of 2024–2026.

Expected dates were checked against chinesecalendar 1.11 when these tests were written and
are hard-coded here, so a change in the seed or in the counting rule shows up as a failure.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pytest_django import DjangoAssertNumQueries

from pubcredit.errors import InvalidInput
from pubcredit.workdays import services
from pubcredit.workdays.models import CalendarDay, ScheduleYear
from pubcredit.workdays.rules import DayKind

pytestmark = pytest.mark.django_db

D = dt.date
FORWARD = 2  # working days to forward an objection to the providing unit
DECIDE = 5  # Art. 34: 自收到异议材料之日起的五个工作日内


def test_seed_covers_2004_to_2026_from_chinesecalendar() -> None:
    years = list(ScheduleYear.objects.order_by("year").values_list("year", flat=True))
    assert years == list(range(2004, 2027))
    assert ScheduleYear.objects.get(year=2025).source.startswith("chinesecalendar 1.11")


def test_seed_agrees_with_chinesecalendar_on_every_day() -> None:
    import chinese_calendar

    cal = services.calendar()
    day = D(2004, 1, 1)
    while day <= D(2026, 12, 31):
        check = cal.is_workday(day)
        assert check.is_workday == chinese_calendar.is_workday(day), day
        assert not check.provisional
        day += dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("day", "kind", "name"),
    [
        (D(2025, 1, 28), DayKind.HOLIDAY, "春节"),
        (D(2025, 1, 26), DayKind.MAKEUP_WORKDAY, "春节"),
        (D(2025, 10, 6), DayKind.HOLIDAY, "中秋"),
        (D(2024, 10, 1), DayKind.HOLIDAY, "国庆节"),
        (D(2026, 2, 28), DayKind.MAKEUP_WORKDAY, "春节"),
        (D(2015, 9, 3), DayKind.HOLIDAY, "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日"),
        (D(2025, 3, 3), DayKind.WORKDAY, ""),
    ],
)
def test_holiday_names_in_chinese(day: dt.date, kind: DayKind, name: str) -> None:
    check = services.is_workday(day)
    assert (check.kind, check.name) == (kind, name)


def test_new_year_days_in_december_belong_to_the_next_years_notice() -> None:
    assert CalendarDay.objects.get(date=D(2018, 12, 29)).schedule_id == 2019  # 上班, set by the 2019 notice
    assert CalendarDay.objects.get(date=D(2023, 12, 30)).schedule_id == 2024
    assert CalendarDay.objects.get(date=D(2025, 1, 26)).schedule_id == 2025


@pytest.mark.parametrize(
    ("received", "n", "deadline"),
    [
        # 春节 2024: 2/10–2/17 off, Sun 2/4 and Sun 2/18 worked.
        (D(2024, 2, 9), FORWARD, D(2024, 2, 19)),  # last working day before: Sun 2/18 is day 1
        (D(2024, 2, 9), DECIDE, D(2024, 2, 22)),
        (D(2024, 2, 10), DECIDE, D(2024, 2, 22)),  # received on the first holiday
        # 春节 2025: 1/28–2/4 off, Sun 1/26 and Sat 2/8 worked.
        (D(2025, 1, 27), FORWARD, D(2025, 2, 6)),  # last working day before the holiday
        (D(2025, 1, 27), DECIDE, D(2025, 2, 10)),  # Sat 2/8 counted as day 4
        (D(2025, 1, 24), FORWARD, D(2025, 1, 27)),  # Sun 1/26 is day 1
        (D(2025, 1, 24), DECIDE, D(2025, 2, 7)),
        (D(2025, 1, 26), DECIDE, D(2025, 2, 8)),  # received on the make-up Sunday; deadline a make-up Saturday
        (D(2025, 1, 29), DECIDE, D(2025, 2, 10)),  # received on 正月初一
        # 春节 2026: 2/15–2/23 off (nine days), Sat 2/14 and Sat 2/28 worked.
        (D(2026, 2, 13), FORWARD, D(2026, 2, 24)),
        (D(2026, 2, 13), DECIDE, D(2026, 2, 27)),
        (D(2026, 2, 14), FORWARD, D(2026, 2, 25)),  # received on the make-up Saturday itself
        (D(2026, 2, 14), DECIDE, D(2026, 2, 28)),
        # 国庆节 2024: 10/1–10/7 off, Sun 9/29 and Sat 10/12 worked.
        (D(2024, 9, 30), FORWARD, D(2024, 10, 9)),
        (D(2024, 9, 30), DECIDE, D(2024, 10, 12)),
        # 国庆节+中秋 2025: 10/1–10/8 off, Sun 9/28 and Sat 10/11 worked.
        (D(2025, 9, 30), FORWARD, D(2025, 10, 10)),
        (D(2025, 9, 30), DECIDE, D(2025, 10, 14)),
        (D(2025, 9, 28), DECIDE, D(2025, 10, 11)),
        # 国庆节 2026: 10/1–10/7 off, Sun 9/20 and Sat 10/10 worked.
        (D(2026, 9, 30), FORWARD, D(2026, 10, 9)),
        (D(2026, 9, 30), DECIDE, D(2026, 10, 13)),
    ],
)
def test_deadlines_over_real_holiday_weeks(received: dt.date, n: int, deadline: dt.date) -> None:
    result = services.add_working_days(received, n)
    assert result.date == deadline
    assert not result.provisional
    assert services.working_days_between(received, deadline).days == n


@pytest.mark.parametrize(("year", "working_days"), [(2024, 251), (2025, 248), (2026, 248)])
def test_working_days_in_a_year(year: int, working_days: int) -> None:
    result = services.working_days_between(D(year - 1, 12, 31), D(year, 12, 31))
    assert result.days == working_days
    assert not result.provisional


def test_next_working_day_after_national_day_2025() -> None:
    assert services.next_working_day(D(2025, 9, 30)).date == D(2025, 10, 9)
    assert services.next_working_day(D(2025, 10, 4), include_start=True).date == D(2025, 10, 9)


def test_2027_without_a_schedule_is_provisional_and_counts_weekends_only() -> None:
    result = services.add_working_days(D(2027, 9, 30), DECIDE)
    assert result.date == D(2027, 10, 7)  # Fri 10/1 and Mon–Thu 10/4–10/7: no holidays known
    assert result.provisional
    assert result.unknown_years == (2027,)
    across = services.add_working_days(D(2026, 12, 30), DECIDE)
    assert across.date == D(2027, 1, 6)  # 2026-12-31, then 2027-01-01 counted as an ordinary Friday
    assert across.unknown_years == (2027,)
    assert services.is_workday(D(2027, 1, 1)).provisional


def test_2027_after_loading_its_schedule(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    result = services.add_working_days(D(2027, 9, 30), DECIDE)
    assert result.date == D(2027, 10, 13)  # 10/1–10/7 off, Sat 10/9 worked (made-up schedule)
    assert not result.provisional
    assert services.add_working_days(D(2027, 9, 30), FORWARD).date == D(2027, 10, 9)
    across = services.add_working_days(D(2026, 12, 30), DECIDE)
    assert across.date == D(2027, 1, 7)
    assert not across.provisional


def test_service_turns_bad_n_into_invalid_input() -> None:
    with pytest.raises(InvalidInput) as info:
        services.add_working_days(D(2025, 1, 27), -1)
    assert info.value.field == "n"


def test_calendar_is_read_once_and_cached(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    with django_assert_num_queries(2):
        services.calendar()
    with django_assert_num_queries(0):
        services.add_working_days(D(2025, 1, 27), DECIDE)
        services.is_workday(D(2025, 1, 28))
