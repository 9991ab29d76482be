"""Timeliness rules on the real, seeded official calendar (2025 National Day: 10-01…10-08 off,
09-28 and 10-11 make-up working days; 2027 not yet loaded)."""

from __future__ import annotations

from datetime import date

import pytest

from pubcredit.monitoring import rules
from pubcredit.workdays.rules import WorkdayCalendar


def test_double_publicity_default_is_seven_working_days() -> None:
    assert rules.DOUBLE_PUBLICITY_LAG_WORKDAYS == 7


def test_decision_before_national_day_submitted_after_it_is_in_time(cal: WorkdayCalendar) -> None:
    # 10-09 Thu, 10-10 Fri, 10-11 Sat (make-up), 10-13 Mon: four working days.
    lag = rules.submission_lag(date(2025, 9, 30), date(2025, 10, 13), cal)
    assert (lag.days, lag.provisional) == (4, False)
    assert rules.submission_deadline(date(2025, 9, 30), 7, cal).date == date(2025, 10, 16)
    assert not rules.is_submitted_late(date(2025, 9, 30), date(2025, 10, 13), 7, cal)
    assert not rules.is_submitted_late(date(2025, 9, 30), date(2025, 10, 16), 7, cal)
    assert rules.is_submitted_late(date(2025, 9, 30), date(2025, 10, 17), 7, cal)


def test_submission_on_a_rest_day_after_the_deadline_is_late(cal: WorkdayCalendar) -> None:
    # Decided Wed 2025-11-05: the 7th working day is Fri 11-14; Sat 11-15 adds no working day.
    assert rules.submission_deadline(date(2025, 11, 5), 7, cal).date == date(2025, 11, 14)
    assert rules.submission_lag(date(2025, 11, 5), date(2025, 11, 15), cal).days == 7
    assert rules.is_submitted_late(date(2025, 11, 5), date(2025, 11, 15), 7, cal)


def test_same_day_or_earlier_collection_has_no_lag(cal: WorkdayCalendar) -> None:
    assert rules.submission_lag(date(2025, 10, 14), date(2025, 10, 14), cal).days == 0
    assert rules.submission_lag(date(2025, 10, 14), date(2025, 10, 13), cal).days == -1
    assert not rules.is_submitted_late(date(2025, 10, 14), date(2025, 10, 13), 7, cal)


def test_count_late_submissions_works_on_grouped_pairs(cal: WorkdayCalendar) -> None:
    pairs = [
        (date(2025, 9, 30), date(2025, 10, 13), 120),  # in time
        (date(2025, 9, 30), date(2025, 10, 17), 30),   # late
        (date(2025, 11, 5), date(2025, 11, 15), 5),    # late (rest day after the deadline)
    ]
    assert rules.count_late_submissions(pairs, 7, cal) == (155, 35, False)
    checked, late, provisional = rules.count_late_submissions([(date(2026, 12, 28), date(2027, 1, 4), 1)], 7, cal)
    assert (checked, late, provisional) == (1, 0, True)  # deadline counted into unloaded 2027


@pytest.mark.parametrize(
    ("frequency", "last", "due"),
    [
        ("daily", date(2025, 10, 17), date(2025, 10, 20)),     # Fri → Mon
        ("daily", date(2025, 9, 30), date(2025, 10, 9)),       # over the National Day holiday
        ("daily", date(2025, 10, 10), date(2025, 10, 11)),     # Sat 10-11 is a make-up working day
        ("realtime", date(2025, 9, 26), date(2025, 9, 28)),    # Sun 09-28 is a make-up working day
        ("weekly", date(2025, 10, 14), date(2025, 10, 21)),
        ("weekly", date(2025, 9, 26), date(2025, 10, 9)),      # 10-03 is a holiday: next working day
        ("monthly", date(2025, 10, 3), date(2025, 12, 1)),     # end of November is a Sunday
        ("monthly", date(2026, 1, 20), date(2026, 2, 28)),     # Sat 2026-02-28 is a make-up working day
        ("monthly", date(2025, 12, 15), date(2026, 2, 2)),     # Sat 2026-01-31 → Mon 02-02
        ("quarterly", date(2025, 8, 15), date(2025, 12, 31)),  # Q3 → end of Q4
        ("quarterly", date(2025, 11, 2), date(2026, 3, 31)),   # Q4 → end of Q1 next year
        ("yearly", date(2024, 6, 1), date(2025, 12, 31)),
    ],
)
def test_next_due_per_frequency(cal: WorkdayCalendar, frequency: str, last: date, due: date) -> None:
    result = rules.next_due(frequency, last, date(2025, 10, 20), calendar=cal)
    assert result.date == due
    assert not result.provisional


def test_never_submitted_entry_counts_from_when_it_came_into_force(cal: WorkdayCalendar) -> None:
    today = date(2025, 10, 20)
    assert rules.next_due("weekly", None, today, calendar=cal, since=date(2025, 10, 1)).date == date(2025, 10, 9)
    # Nothing to go by: due the next working day, so not late today.
    assert rules.next_due("daily", None, today, calendar=cal).date == date(2025, 10, 21)


def test_due_day_in_an_unloaded_year_is_provisional(cal: WorkdayCalendar) -> None:
    due = rules.next_due("daily", date(2026, 12, 31), date(2026, 12, 31), calendar=cal)
    assert due.date == date(2027, 1, 1)
    assert due.provisional


def test_unknown_frequency_is_refused(cal: WorkdayCalendar) -> None:
    with pytest.raises(ValueError, match="归集频率"):
        rules.next_due("hourly", date(2025, 10, 1), date(2025, 10, 20), calendar=cal)


def test_lateness_and_days_overdue() -> None:
    due = date(2025, 10, 14)
    assert not rules.is_late(due, date(2025, 10, 14))
    assert rules.is_late(due, date(2025, 10, 15))
    assert rules.days_overdue(due, date(2025, 10, 20)) == 6
    assert rules.days_overdue(due, date(2025, 10, 1)) == 0


@pytest.mark.parametrize(
    ("reason", "missing"),
    [
        ("处罚决定日期：必填项，不能为空", True),  # as collection.validation phrases it
        ("证件号码：当 行政相对人类别 为“自然人”时必填", True),
        ("必填字段，不能为空", True),
        ("处罚决定日期不能为空", True),
        ("未填写", True),
        ("缺少该自然人的书面同意记录（第三十七条）", False),
        ("校验位错误：应为 X", False),
    ],
)
def test_missing_required_reasons(reason: str, missing: bool) -> None:
    assert rules.is_missing_required(reason) is missing


def test_ratio() -> None:
    assert rules.ratio(1, 3) == 0.3333
    assert rules.ratio(0, 0) is None


def test_check_character_reasons_are_one_kind_whatever_the_characters() -> None:
    """The quality page counted 应为 M，实际为 A apart from 应为 H，实际为 A (acceptance run, session 12)."""
    a = rules.reason_kind("CF_XDR_SHXYM（统一社会信用代码）：第18位校验码应为 M，实际为 A（多为前17位有录入错误）")
    b = rules.reason_kind("CF_XDR_SHXYM（统一社会信用代码）：第18位校验码应为 H，实际为 7（多为前17位有录入错误）")
    assert a == b == "CF_XDR_SHXYM（统一社会信用代码）：第…位校验码应为 …，实际为 …（多为前…位有录入错误）"
