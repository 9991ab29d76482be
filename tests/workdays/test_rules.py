"""Pure calendar arithmetic on a small hand-made calendar (no database).

The fake year 2030: 春节 holidays Sat 2030-02-02 … Fri 2030-02-08, make-up working days
Sun 2030-01-27 and Sat 2030-02-09. Only 2030 is a known year.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pubcredit.workdays.rules import (
    MAX_WORKING_DAYS,
    DayKind,
    Deadline,
    SpecialDay,
    WorkdayCalendar,
)

D = dt.date
H, M = DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY

FORWARD_WORKING_DAYS = 2  # forwarding an objection to the providing unit
DECIDE_WORKING_DAYS = 5  # Art. 34: 自收到异议材料之日起的五个工作日内


def fake_calendar() -> WorkdayCalendar:
    special = {D(2030, 2, 2) + dt.timedelta(days=i): SpecialDay(H, "春节") for i in range(7)}
    special[D(2030, 1, 27)] = SpecialDay(M, "春节")
    special[D(2030, 2, 9)] = SpecialDay(M, "春节")
    return WorkdayCalendar(special, known_years={2030})


CAL = fake_calendar()


def test_fake_calendar_weekdays_are_what_the_tests_assume() -> None:
    assert D(2030, 2, 2).weekday() == 5  # Saturday
    assert D(2030, 2, 8).weekday() == 4  # Friday
    assert D(2030, 1, 27).weekday() == 6  # Sunday
    assert D(2030, 2, 9).weekday() == 5  # Saturday


@pytest.mark.parametrize(
    ("day", "kind", "name", "working"),
    [
        (D(2030, 1, 28), DayKind.WORKDAY, "", True),
        (D(2030, 1, 26), DayKind.WEEKEND, "", False),
        (D(2030, 1, 27), DayKind.MAKEUP_WORKDAY, "春节", True),
        (D(2030, 2, 4), DayKind.HOLIDAY, "春节", False),  # a Monday inside the block
        (D(2030, 2, 2), DayKind.HOLIDAY, "春节", False),  # a Saturday inside the block
    ],
)
def test_is_workday_kinds(day: dt.date, kind: DayKind, name: str, working: bool) -> None:
    check = CAL.is_workday(day)
    assert (check.kind, check.name, check.is_workday, bool(check)) == (kind, name, working, working)
    assert not check.provisional
    assert check.unknown_years == ()


def test_is_workday_in_unknown_year_is_provisional_and_weekday_only() -> None:
    check = CAL.is_workday(D(2031, 1, 1))  # would be 元旦, but 2031 is not loaded
    assert check.is_workday
    assert check.provisional
    assert check.unknown_years == (2031,)
    assert CAL.kind(D(2031, 1, 4)) is DayKind.WEEKEND


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # Received on the last working day before the holiday: the make-up Saturday is day 1.
        (D(2030, 2, 1), 1, D(2030, 2, 9)),
        (D(2030, 2, 1), FORWARD_WORKING_DAYS, D(2030, 2, 11)),
        (D(2030, 2, 1), DECIDE_WORKING_DAYS, D(2030, 2, 14)),
        # Received on Friday before the make-up Sunday: that Sunday is day 1.
        (D(2030, 1, 25), 1, D(2030, 1, 27)),
        (D(2030, 1, 25), FORWARD_WORKING_DAYS, D(2030, 1, 28)),
        (D(2030, 1, 25), DECIDE_WORKING_DAYS, D(2030, 1, 31)),
        # Received on a plain Saturday or inside the holiday: counting starts after it.
        (D(2030, 1, 26), 1, D(2030, 1, 27)),
        (D(2030, 2, 3), 1, D(2030, 2, 9)),
        (D(2030, 2, 3), DECIDE_WORKING_DAYS, D(2030, 2, 14)),
        # Received on a make-up working day: that day itself is day 0, not day 1.
        (D(2030, 2, 9), 1, D(2030, 2, 11)),
        # An ordinary week: Monday + 5 = next Monday.
        (D(2030, 3, 4), DECIDE_WORKING_DAYS, D(2030, 3, 11)),
    ],
)
def test_add_working_days(start: dt.date, n: int, expected: dt.date) -> None:
    assert CAL.add_working_days(start, n) == Deadline(expected)


def test_add_zero_working_days_is_the_start_and_consults_nothing() -> None:
    assert CAL.add_working_days(D(2031, 6, 1), 0) == Deadline(D(2031, 6, 1))


def test_deadline_in_unknown_year_is_provisional() -> None:
    inside = CAL.add_working_days(D(2030, 12, 30), 1)
    assert inside == Deadline(D(2030, 12, 31))
    assert not inside.provisional
    across = CAL.add_working_days(D(2030, 12, 30), 2)
    assert across.date == D(2031, 1, 1)  # weekends only: 元旦 2031 is not known
    assert across.provisional
    assert across.unknown_years == (2031,)


def test_unknown_years_lists_each_year_once_in_order() -> None:
    result = WorkdayCalendar().add_working_days(D(2029, 12, 20), 300)
    assert result.unknown_years == (2029, 2030, 2031)


def test_the_start_year_alone_does_not_make_a_deadline_provisional() -> None:
    assert not CAL.add_working_days(D(2029, 12, 31), 1).provisional


@pytest.mark.parametrize("n", [-1, -5])
def test_negative_n_is_refused(n: int) -> None:
    with pytest.raises(ValueError, match="负数"):
        CAL.add_working_days(D(2030, 3, 1), n)


def test_n_is_bounded() -> None:
    CAL.add_working_days(D(2030, 3, 1), MAX_WORKING_DAYS)
    with pytest.raises(ValueError, match=f"最多 {MAX_WORKING_DAYS}"):
        CAL.add_working_days(D(2030, 3, 1), MAX_WORKING_DAYS + 1)


def test_n_must_be_an_int() -> None:
    with pytest.raises(TypeError):
        CAL.add_working_days(D(2030, 3, 1), True)
    with pytest.raises(TypeError):
        CAL.add_working_days(D(2030, 3, 1), 2.0)  # type: ignore[arg-type]


def test_a_datetime_is_refused_because_its_local_day_is_ambiguous() -> None:
    with pytest.raises(TypeError, match="date"):
        CAL.add_working_days(dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC), 1)
    with pytest.raises(TypeError):
        CAL.is_workday(dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC))


def test_the_search_is_bounded_on_absurd_data() -> None:
    everything_off = {D(2030, 1, 1) + dt.timedelta(days=i): SpecialDay(H, "x") for i in range(8000)}
    cal = WorkdayCalendar(everything_off, known_years=range(2030, 2053))
    with pytest.raises(ValueError, match="不足 1 个工作日"):
        cal.add_working_days(D(2029, 12, 31), 1)


def test_next_working_day() -> None:
    assert CAL.next_working_day(D(2030, 2, 1)) == Deadline(D(2030, 2, 9))
    assert CAL.next_working_day(D(2030, 2, 1), include_start=True) == Deadline(D(2030, 2, 1))
    assert CAL.next_working_day(D(2030, 2, 3), include_start=True) == Deadline(D(2030, 2, 9))
    assert CAL.next_working_day(D(2030, 12, 31)).provisional


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        (D(2030, 2, 1), D(2030, 2, 1), 0),
        (D(2030, 2, 1), D(2030, 2, 8), 0),  # the whole holiday block
        (D(2030, 2, 1), D(2030, 2, 9), 1),
        (D(2030, 2, 1), D(2030, 2, 14), 5),
        (D(2030, 2, 14), D(2030, 2, 1), -5),
        (D(2030, 1, 25), D(2030, 1, 31), 5),  # make-up Sunday counted
    ],
)
def test_working_days_between(a: dt.date, b: dt.date, days: int) -> None:
    result = CAL.working_days_between(a, b)
    assert result.days == days
    assert not result.provisional


def test_working_days_between_marks_unknown_years() -> None:
    result = CAL.working_days_between(D(2030, 12, 31), D(2031, 1, 2))
    assert (result.days, result.unknown_years) == (2, (2031,))


def test_working_days_between_is_bounded() -> None:
    with pytest.raises(ValueError, match="相距超过"):
        CAL.working_days_between(D(2000, 1, 1), D(2030, 1, 1))


def test_calendar_refuses_meaningless_special_days() -> None:
    with pytest.raises(ValueError, match="Saturday or Sunday"):
        WorkdayCalendar({D(2030, 3, 4): SpecialDay(M, "")})
    with pytest.raises(ValueError, match="only holidays"):
        WorkdayCalendar({D(2030, 3, 4): SpecialDay(DayKind.WORKDAY, "")})


def test_special_days_of_a_year() -> None:
    days = CAL.special_days(2030)
    assert days[0] == (D(2030, 1, 27), SpecialDay(M, "春节"))
    assert len(days) == 9
    assert CAL.special_days(2029) == []


@given(
    start=st.dates(min_value=D(2029, 1, 1), max_value=D(2031, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
)
def test_counting_back_gives_n(start: dt.date, n: int) -> None:
    deadline = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, deadline.date).days == n
    if n:
        assert CAL.is_workday(deadline.date)
        # The day before the deadline still leaves one working day to go.
        assert CAL.working_days_between(start, deadline.date - dt.timedelta(days=1)).days == n - 1
    first_counted = start + dt.timedelta(days=1)
    years = set(range(first_counted.year, deadline.date.year + 1)) if deadline.date > start else set()
    assert deadline.provisional == bool(years - {2030})
