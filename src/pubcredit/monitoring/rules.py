"""Timeliness of departments' submissions (Art. 13, 51): pure computation, no Django, no ORM.

Art. 13 obliges every public-credit-related unit to submit 「及时、准确、完整」 under its catalog
entries; Art. 51 (一) makes failing to collect as required a matter of accountability. Two
questions are answered here:

* **Is the entry late?** From the entry's collection frequency (归集频率) and the day of its
  last submission, :func:`next_due` gives the last day on which the next submission is on time;
  :func:`is_late` and :func:`days_overdue` compare it with today.
* **Was a record submitted late?** For decision-type entries (licensing and penalty decisions,
  which carry a submission time limit in working days) :func:`submission_deadline` and
  :func:`is_submitted_late` compare the record's decision date with the local day it was
  collected, on the official working-day calendar (``pubcredit.workdays``).

Every date here is a local (Asia/Shanghai) calendar day; the caller converts timestamps.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable

from pubcredit.workdays.rules import Deadline, WorkdayCalendar, WorkingDayCount

#: National 双公示 rule: administrative licensing and penalty decisions are to be published (hence
#: submitted to the credit platform) within 7 working days of the decision. **Unverified** (see
#: ``reference-data.md`` §1): the figure is the commonly cited one, but the issuing document was
#: not checked. It is therefore *not* applied by this module: the value actually used is each
#: catalog version's configurable ``submission_lag_workdays``; this constant documents the
#: expected default for 双公示 entries and is what the initial catalog should carry.
DOUBLE_PUBLICITY_LAG_WORKDAYS = 7

#: Words by which a rejection reason says a required field was missing (``BatchRejection.reason``).
#: The row validator phrases such reasons with 「必填」 (e.g. 「必填字段，不能为空」); the other
#: markers catch the usual variants 「不能为空」/「未填写」. Matched as substrings.
MISSING_REQUIRED_MARKERS = ("必填", "为空", "未填")
#: One "required field left empty" problem in a rejected row's reason (PostgreSQL regex), as the
#: collection validator words it: ``CF_SY（违法事实）：必填项，不能为空`` or ``CF_NR_FK（罚款金额（万元））：当
#: CF_CFLB（处罚类别） 为“02”时必填``; the first group is the field. A row's problems are joined by "；".
MISSING_REQUIRED_RE = r"(?:^|；)([A-Za-z0-9_]+)（[^：；]*）：(?:必填项|当[^；]*时必填)"
#: A reason in the validator's words (``FIELD（label）：…``); others fall back to the markers above.
VALIDATOR_REASON_RE = r"^[A-Za-z0-9_]+（[^：；]*）："

_FIELD_PREFIX = re.compile(r"^([A-Za-z0-9_]+)（[^：；]*）：")
_VALUES = (
    re.compile(r"(?<=应为 )\S(?=，实际为 )|(?<=，实际为 )\S"),  # a check character: 应为 H，实际为 A
    re.compile(r"“[^”]*”"),  # a quoted value: 为“02”时必填
    re.compile(r"\d{4}-\d{1,2}-\d{1,2}"),  # a date
    re.compile(r"[0-9A-Za-z]*\d[0-9A-Za-z]*"),  # a number or a code with digits: 第 12 条, 91330106…
)


def reason_parts(reason: str) -> list[str]:
    """The problems of one rejected row (the validator joins them with "；")."""
    return [part for part in reason.split("；") if part.strip()]


def reason_field(part: str) -> str | None:
    """The field a problem in the validator's words names (``CF_JDRQ（处罚决定日期）：…``), else None."""
    found = _FIELD_PREFIX.match(part)
    return found.group(1) if found else None


def reason_kind(part: str) -> str:
    """One problem with the values in it replaced by "…" (its field and label kept), so that the rows
    rejected for the same reason count together: ``CF_JDRQ（处罚决定日期）：决定日期 2027-01-05 晚于今天
    （2026-11-26）`` and the same with other dates are both ``…：决定日期 … 晚于今天（…）``."""
    found = _FIELD_PREFIX.match(part)
    head, rest = (part[:found.end()], part[found.end():]) if found else ("", part)
    if "YYYY" in rest:  # a format told, not a value: 日期格式应为 YYYY-MM-DD
        return head + rest
    for pattern in _VALUES:
        rest = pattern.sub(lambda m: "“…”" if m.group(0).startswith("“") else "…", rest)
    return head + rest


class Frequency(enum.StrEnum):
    """Collection frequency; values equal ``catalog.models.Frequency`` (kept apart: no ORM here)."""

    REALTIME = "realtime"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


def _last_day_of_month(year: int, month: int) -> dt.date:
    if month == 12:
        return dt.date(year, 12, 31)
    return dt.date(year, month + 1, 1) - dt.timedelta(days=1)


def _end_of_next_month(d: dt.date) -> dt.date:
    year, month = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
    return _last_day_of_month(year, month)


def _end_of_next_quarter(d: dt.date) -> dt.date:
    quarter = (d.month - 1) // 3  # 0..3
    year, quarter = (d.year + 1, 0) if quarter == 3 else (d.year, quarter + 1)
    return _last_day_of_month(year, quarter * 3 + 3)


def next_due(
    frequency: str,
    last_submission: dt.date | None,
    today: dt.date,
    *,
    calendar: WorkdayCalendar,
    since: dt.date | None = None,
) -> Deadline:
    """The last day on which an entry's next submission is on time (Art. 13, 51).

    The count starts from ``last_submission`` (the local day of the entry's last counted
    submission); for an entry never submitted, from ``since`` (the day the entry came into
    force); with neither, from ``today`` (nothing to hold the department to yet). A due day that
    is not a working day moves to the next working day, as a period's last day does when it is a
    rest day (Civil Code Art. 203). By frequency:

    * **daily** (每日): by the first working day after the last submission. Daily means every
      working day; government units do not submit on rest days, so a Friday submission is
      next due on Monday (or after the holiday block).
    * **realtime** (实时): as daily. Real-time entries are pushed as decisions are made, but the
      platform only sees batches, so the finest check it can make fairly is one per working
      day. A department with nothing new that day keeps the entry on time with an empty batch.
    * **weekly** (每周): within 7 calendar days of the last submission. Calendar weeks are not
      an administrative reporting period the way months and quarters are, so a rolling week is
      both simpler and fairer (no 13-day gap allowed by a Monday-then-Sunday pattern).
    * **monthly** (每月): by the last day of the calendar month after that of the last
      submission. Monthly reporting (月报) is per calendar month: submitting on 3 October
      covers October, and November's submission is due by 30 November.
    * **quarterly** (每季度): by the last day of the calendar quarter after that of the last
      submission (季报), e.g. last in August (Q3) → due 31 December.
    * **yearly** (每年): by 31 December of the year after that of the last submission (年报).

    The result is provisional when a day counted lies in a year whose holiday schedule is not
    loaded. Raises ValueError for an unknown frequency.
    """
    anchor = last_submission or since or today
    try:
        freq = Frequency(frequency)
    except ValueError:
        raise ValueError(f"未知的归集频率 {frequency!r}") from None
    if freq in (Frequency.DAILY, Frequency.REALTIME):
        return calendar.add_working_days(anchor, 1)
    if freq is Frequency.WEEKLY:
        due = anchor + dt.timedelta(days=7)
    elif freq is Frequency.MONTHLY:
        due = _end_of_next_month(anchor)
    elif freq is Frequency.QUARTERLY:
        due = _end_of_next_quarter(anchor)
    else:
        due = dt.date(anchor.year + 1, 12, 31)
    return calendar.next_working_day(due, include_start=True)


def is_late(due: dt.date, today: dt.date) -> bool:
    """Whether a submission due by the end of ``due`` is overdue on ``today``."""
    return today > due


def days_overdue(due: dt.date, today: dt.date) -> int:
    """Calendar days since ``due`` (0 when not late): how long the department has been overdue."""
    return max((today - due).days, 0)


def submission_lag(decision_date: dt.date, collected_date: dt.date, calendar: WorkdayCalendar) -> WorkingDayCount:
    """Working days from a decision to its submission: working days after the decision day up to
    and including the day of collection (the convention of ``pubcredit.workdays``: the decision
    day is day 0). Zero or negative when collected on or before the decision day.
    """
    return calendar.working_days_between(decision_date, collected_date)


def submission_deadline(decision_date: dt.date, limit_workdays: int, calendar: WorkdayCalendar) -> Deadline:
    """The last day on which a record decided on ``decision_date`` is submitted in time.

    ``limit_workdays`` is the catalog version's ``submission_lag_workdays`` (for 双公示 entries
    normally :data:`DOUBLE_PUBLICITY_LAG_WORKDAYS`): the deadline is the ``limit``-th working
    day after the decision day.
    """
    return calendar.add_working_days(decision_date, limit_workdays)


def is_submitted_late(
    decision_date: dt.date, collected_date: dt.date, limit_workdays: int, calendar: WorkdayCalendar
) -> bool:
    """Whether a record was collected after its submission deadline (Art. 13 「及时」).

    Judged by the deadline day rather than by :func:`submission_lag`: a record collected on a
    rest day after the deadline is late although no further working day has passed.
    """
    return collected_date > submission_deadline(decision_date, limit_workdays, calendar).date


def is_missing_required(reason: str) -> bool:
    """Whether a rejection reason says that a required field was missing."""
    return any(marker in reason for marker in MISSING_REQUIRED_MARKERS)


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, or None when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


def count_late_submissions(
    pairs: Iterable[tuple[dt.date, dt.date, int]], limit_workdays: int, calendar: WorkdayCalendar
) -> tuple[int, int, bool]:
    """Count records submitted late from ``(decision_date, collected_date, count)`` groups.

    The caller groups records by their two dates in SQL, so the work here grows with the number
    of distinct date pairs, not of records; deadlines are computed once per decision day.
    Returns ``(checked, late, provisional)``; provisional if any deadline is.
    """
    deadlines: dict[dt.date, Deadline] = {}
    checked = late = 0
    provisional = False
    for decision_date, collected_date, count in pairs:
        deadline = deadlines.get(decision_date)
        if deadline is None:
            deadline = deadlines[decision_date] = submission_deadline(decision_date, limit_workdays, calendar)
            provisional = provisional or deadline.provisional
        checked += count
        if collected_date > deadline.date:
            late += count
    return checked, late, provisional
