"""The official Chinese working-day calendar and deadline arithmetic (Art. 34, 35).

Pure computation: no Django, no ORM (an import-linter contract keeps it so). The database
side (``models``, ``services``) only feeds a :class:`WorkdayCalendar` with data.

A day is one of four kinds (:class:`DayKind`):

* an ordinary Monday–Friday is a **working day**;
* an ordinary Saturday or Sunday is a **weekend** day;
* a **statutory holiday** (法定节假日, including the weekend days and 调休 days folded into a
  holiday block such as 春节 2025-01-28 … 02-04) is not a working day;
* a **make-up working day** (调休上班日) — a Saturday or Sunday the State Council declares a
  working day — *is* a working day.

The holidays of a year are fixed only by the State Council notice for that year (国务院办公厅
关于 YYYY 年部分节假日安排的通知). A year whose notice is not loaded is *unknown*: its days are
counted by weekends alone, and every result that had to look at such a day says so through
``provisional`` and ``unknown_years``. Nothing here guesses a future year's holidays.

The second half of this module reads and writes the schedule file an operator loads for a
new year (format in ``docs/workdays-schedule.md`` and :func:`parse_schedule`).
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pubcredit.errors import InvalidInput
from pubcredit.textinput import JSON_TOO_DEEP

#: Largest ``n`` accepted by :meth:`WorkdayCalendar.add_working_days` (about 14 years).
MAX_WORKING_DAYS = 3650
#: Most calendar days one computation may look at; working days are ~68 % of all days, so this
#: is ample for ``MAX_WORKING_DAYS`` and stops a calendar with absurd data from looping forever.
MAX_SCAN_DAYS = 2 * MAX_WORKING_DAYS + 60

WEEKDAY_NAMES = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class DayKind(enum.StrEnum):
    """What a day is on the official calendar. Values match ``models.SpecialDayKind``."""

    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"

    @property
    def is_working(self) -> bool:
        return self in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY)


#: The kinds a calendar stores explicitly; every other day follows from its weekday.
SPECIAL_KINDS = frozenset({DayKind.HOLIDAY, DayKind.MAKEUP_WORKDAY})


#: From this day of the year (month, day) the coming year's schedule is due to be loaded: the State
#: Council has published its notice from late October to mid-December, and from November a
#: deadline counted from a day late in the year can reach into the next one.
NEXT_YEAR_DUE_FROM = (11, 1)


def schedule_reminder(today: dt.date, known_years: Iterable[int]) -> tuple[int, bool] | None:
    """Which year's schedule the operators should load now (Art. 34, 35: deadlines are counted
    in working days, on the official calendar), or None.

    Returns ``(year, urgent)``: ``(this year, True)`` when the current year is not loaded (every
    deadline from today is provisional); ``(next year, False)`` from 1 November when the next
    year is not loaded (deadlines that reach into it are provisional).
    """
    known = set(known_years)
    if today.year not in known:
        return today.year, True
    if (today.month, today.day) >= NEXT_YEAR_DUE_FROM and today.year < dt.MAXYEAR and today.year + 1 not in known:
        return today.year + 1, False
    return None


class SpecialDay(NamedTuple):
    """A holiday or make-up working day, with the holiday it belongs to (e.g. 春节)."""

    kind: DayKind
    name: str = ""


class _MaybeProvisional:
    """Shared by every result: which unknown years were consulted, hence whether provisional."""

    unknown_years: tuple[int, ...]

    @property
    def provisional(self) -> bool:
        """True if some day consulted lies in a year with no loaded schedule (weekends only)."""
        return bool(self.unknown_years)


@dataclass(frozen=True)
class Deadline(_MaybeProvisional):
    """A working day found by counting: the last day of a deadline, or the next working day."""

    date: dt.date
    unknown_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class WorkingDayCount(_MaybeProvisional):
    """A number of working days between two dates (negative if the second is earlier)."""

    days: int
    unknown_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class DayCheck(_MaybeProvisional):
    """One day looked up on the calendar. Truthy exactly when the day is a working day."""

    date: dt.date
    kind: DayKind
    name: str = ""
    unknown_years: tuple[int, ...] = ()

    @property
    def is_workday(self) -> bool:
        return self.kind.is_working

    def __bool__(self) -> bool:
        return self.is_workday


def _check_date(value: object, what: str = "date") -> dt.date:
    # A datetime is a date subclass, but which local day it means depends on a time zone the
    # caller must choose (timezone.localdate(received_at)); refuse it rather than guess.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _following(d: dt.date) -> dt.date:
    try:
        return d + dt.timedelta(days=1)
    except OverflowError:
        raise ValueError(f"{d} 之后没有日期") from None


class WorkdayCalendar:
    """The official calendar: special days plus the set of years whose schedule is known.

    ``special_days`` maps each statutory holiday and make-up working day to its kind and
    holiday name; ordinary days are not listed. ``known_years`` are the years whose State
    Council schedule was loaded; a day in any other year is judged by its weekday alone and
    makes the result provisional.
    """

    def __init__(
        self,
        special_days: Mapping[dt.date, SpecialDay | tuple[DayKind, str]] | None = None,
        known_years: Iterable[int] = (),
    ) -> None:
        days: dict[dt.date, SpecialDay] = {}
        for d, (kind, name) in (special_days or {}).items():
            _check_date(d)
            kind = DayKind(kind)
            if kind not in SPECIAL_KINDS:
                raise ValueError(f"{d}: only holidays and make-up working days are listed, not {kind}")
            if kind is DayKind.MAKEUP_WORKDAY and d.weekday() < 5:
                raise ValueError(f"{d}: a make-up working day must be a Saturday or Sunday")
            days[d] = SpecialDay(kind, name)
        self._special = days
        self._known = frozenset(known_years)

    @property
    def known_years(self) -> frozenset[int]:
        return self._known

    def is_known_year(self, year: int) -> bool:
        return year in self._known

    def special_days(self, year: int | None = None) -> list[tuple[dt.date, SpecialDay]]:
        """The listed holidays and make-up working days (of ``year`` if given), by date."""
        return sorted((d, s) for d, s in self._special.items() if year is None or d.year == year)

    def kind(self, d: dt.date) -> DayKind:
        """The kind of ``d``; in an unknown year only WORKDAY or WEEKEND (see ``is_workday``)."""
        special = self._special.get(_check_date(d))
        if special is not None:
            return special.kind
        return DayKind.WEEKEND if d.weekday() >= 5 else DayKind.WORKDAY

    def is_workday(self, d: dt.date) -> DayCheck:
        """Look ``d`` up: its kind, holiday name, and whether its year's schedule is unknown.

        The result is truthy for a working day, so ``if cal.is_workday(d):`` reads naturally.
        """
        special = self._special.get(_check_date(d))
        kind = self.kind(d)
        unknown = () if d.year in self._known else (d.year,)
        return DayCheck(d, kind, special.name if special else "", unknown)

    def next_working_day(self, d: dt.date, *, include_start: bool = False) -> Deadline:
        """The first working day after ``d`` (or ``d`` itself if ``include_start`` and it is one)."""
        _check_date(d)
        return self._nth_working_day(d if include_start else _following(d), 1)

    def add_working_days(self, start: dt.date, n: int) -> Deadline:
        """The last day of a period of ``n`` working days that begins on receipt on ``start``.

        Convention (Art. 34 「自收到异议材料之日起的五个工作日内」, and the general rule of
        Civil Code Art. 201 that the starting day is not counted): the day of receipt is day 0,
        whatever kind of day it is; day 1 is the first working day *after* ``start``; the
        deadline is the ``n``-th working day after ``start``, and an act done by the end of that
        day is in time. Holidays and ordinary weekends are skipped, make-up working days count.
        Receipt on a holiday or a Saturday therefore starts the count on the next working day.

        ``n == 0`` returns ``start`` and consults no day. The result is provisional when a
        day from ``start + 1`` to the deadline lies in a year with no loaded schedule.
        Raises ValueError if ``n`` is negative or above ``MAX_WORKING_DAYS``.
        """
        _check_date(start, "start")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, not {type(n).__name__}")
        if n < 0:
            raise ValueError(f"工作日数不能为负数（{n}）")
        if n > MAX_WORKING_DAYS:
            raise ValueError(f"工作日数最多 {MAX_WORKING_DAYS}，不能是 {n}")
        if n == 0:
            return Deadline(start)
        return self._nth_working_day(_following(start), n)

    def working_days_between(self, a: dt.date, b: dt.date) -> WorkingDayCount:
        """Working days ``d`` with ``a < d <= b``; negative (the same count, signed) if ``b < a``.

        The same convention as :meth:`add_working_days`: for ``n >= 0``,
        ``working_days_between(s, add_working_days(s, n).date).days == n``. So on day ``b``,
        ``working_days_between(received, b).days`` is how many working days of the period
        have started. Raises ValueError if the dates are more than ``MAX_SCAN_DAYS`` apart.
        """
        _check_date(a, "a")
        _check_date(b, "b")
        low, high, sign = (a, b, 1) if a <= b else (b, a, -1)
        if (high - low).days > MAX_SCAN_DAYS:
            raise ValueError(f"{low} 与 {high} 相距超过 {MAX_SCAN_DAYS} 天")
        count, unknown = 0, set()
        d = low
        while d < high:
            d = _following(d)
            if d.year not in self._known:
                unknown.add(d.year)
            if self.kind(d).is_working:
                count += 1
        return WorkingDayCount(sign * count, tuple(sorted(unknown)))

    def _nth_working_day(self, first: dt.date, n: int) -> Deadline:
        """The ``n``-th working day counting ``first`` itself as the first candidate (n >= 1)."""
        unknown: set[int] = set()
        found, d = 0, first
        for _ in range(MAX_SCAN_DAYS):
            if d.year not in self._known:
                unknown.add(d.year)
            if self.kind(d).is_working:
                found += 1
                if found == n:
                    return Deadline(d, tuple(sorted(unknown)))
            d = _following(d)
        raise ValueError(f"自 {first} 起 {MAX_SCAN_DAYS} 天内不足 {n} 个工作日，日历数据有误")


# ---------------------------------------------------------------------------------------------
# The schedule file an operator loads for a year (see docs/workdays-schedule.md).

SCHEDULE_KEYS = ("year", "source", "holidays", "makeup_workdays")
ENTRY_KEYS = ("name", "dates")
MIN_YEAR, MAX_YEAR = 2000, 2100
SOURCE_MAX = 500
NAME_MAX = 50
#: The longest date range one entry may write as ``start/end``; holiday blocks are ≤ 10 days,
#: so a longer range is a typing error (e.g. a wrong month).
RANGE_MAX_DAYS = 31

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class ScheduleFile:
    """A parsed, validated schedule: the special days one State Council notice sets.

    ``holidays`` and ``makeup_workdays`` map each date to its holiday name, in file order.
    """

    year: int
    source: str
    holidays: Mapping[dt.date, str]
    makeup_workdays: Mapping[dt.date, str]

    def special_days(self) -> dict[dt.date, SpecialDay]:
        days = {d: SpecialDay(DayKind.HOLIDAY, name) for d, name in self.holidays.items()}
        days.update({d: SpecialDay(DayKind.MAKEUP_WORKDAY, name) for d, name in self.makeup_workdays.items()})
        return days


class _DuplicateKeyError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKeyError(key)
        out[key] = value
    return out


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def in_schedule_year(d: dt.date, year: int) -> bool:
    """Whether the notice for ``year`` may set ``d``: a day of that year, or of the December before.

    Notices for a year routinely fix the New Year days at the end of the previous December
    (e.g. the 2019 notice: 2018-12-29 上班, 2018-12-30/31 放假), so those belong to it too.
    """
    return d.year == year or (d.year == year - 1 and d.month == 12)


def _parse_dates(value: object, path: str) -> list[dt.date]:
    """One entry of a ``dates`` list: ``"YYYY-MM-DD"`` or an inclusive range ``"start/end"``."""
    if not isinstance(value, str):
        raise InvalidInput(f"日期应写成 \"YYYY-MM-DD\" 字符串，而不是 {_show(value)}", field=path)
    parts = value.split("/")
    if len(parts) > 2:
        raise InvalidInput(f"{_show(value)} 不是日期或日期区间（\"YYYY-MM-DD\" 或 \"YYYY-MM-DD/YYYY-MM-DD\"）",
                           field=path)
    days: list[dt.date] = []
    for part in parts:
        text = part.strip()
        if not _DATE_RE.fullmatch(text):
            raise InvalidInput(f"{_show(value)} 不是 YYYY-MM-DD 格式的日期", field=path)
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            raise InvalidInput(f"{_show(text)} 不是有效日期", field=path) from None
    if len(days) == 1:
        return days
    first, last = days
    if last < first:
        raise InvalidInput(f"日期区间 {_show(value)} 的结束日早于开始日", field=path)
    span = (last - first).days + 1
    if span > RANGE_MAX_DAYS:
        raise InvalidInput(f"日期区间 {_show(value)} 长达 {span} 天（最多 {RANGE_MAX_DAYS} 天），请检查月份",
                           field=path)
    return [first + dt.timedelta(days=i) for i in range(span)]


def _check_keys(obj: dict[str, Any], allowed: tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in allowed:
            where = f"{path}." if path else ""
            raise InvalidInput(f"未知字段 {_show(key)}（可用字段：{'、'.join(allowed)}）", field=f"{where}{key}")
    for key in allowed:
        if key not in obj:
            where = f"{path}." if path else ""
            raise InvalidInput(f"缺少字段 {_show(key)}", field=f"{where}{key}")


def _entry_name(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"节日名称应为非空字符串，而不是 {_show(value)}", field=path)
    name = value.strip()
    if len(name) > NAME_MAX:
        raise InvalidInput(f"节日名称过长（{len(name)} 字，最多 {NAME_MAX} 字）", field=path)
    return name


def _entries(value: object, path: str, *, allow_bare_dates: bool) -> list[tuple[str, str, list[tuple[str, object]]]]:
    """Flatten a ``holidays``/``makeup_workdays`` list to (name, entry path, [(date path, value)])."""
    if not isinstance(value, list):
        raise InvalidInput(f"应为列表 [...]，而不是 {_show(value)}", field=path)
    out: list[tuple[str, str, list[tuple[str, object]]]] = []
    for i, entry in enumerate(value, start=1):
        entry_path = f"{path}[{i}]"
        if allow_bare_dates and isinstance(entry, str):
            out.append(("", entry_path, [(entry_path, entry)]))
            continue
        if not isinstance(entry, dict):
            shape = '{"name": …, "dates": [...]} 或 "YYYY-MM-DD"' if allow_bare_dates else '{"name": …, "dates": [...]}'
            raise InvalidInput(f"应为 {shape}，而不是 {_show(entry)}", field=entry_path)
        _check_keys(entry, ENTRY_KEYS, entry_path)
        name = _entry_name(entry["name"], f"{entry_path}.name")
        dates = entry["dates"]
        if not isinstance(dates, list) or not dates:
            raise InvalidInput(f"dates 应为非空的日期列表，而不是 {_show(dates)}", field=f"{entry_path}.dates")
        out.append((name, entry_path, [(f"{entry_path}.dates[{j}]", v) for j, v in enumerate(dates, start=1)]))
    return out


def parse_schedule(text: str) -> ScheduleFile:
    """Parse and validate a schedule file (JSON, see ``docs/workdays-schedule.md``).

    Raises InvalidInput with a one-line reason and ``field`` naming where (``file`` for
    syntax, else a path such as ``holidays[2].dates[1]``, counted from 1): bad JSON (with
    line and column), a duplicate key, a missing or unknown field, a bad year, source, name
    or date, a date outside the stated year (the December before is allowed for New Year
    days), a make-up working day that is not a Saturday or Sunday, a date listed twice, or a
    date listed both as holiday and as make-up working day.
    """
    try:
        data = json.loads(text, object_pairs_hook=_reject_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"第 {exc.lineno} 行第 {exc.colno} 列：JSON 语法错误（{exc.msg}）", field="file") from None
    except _DuplicateKeyError as exc:
        raise InvalidInput(f"字段 {_show(exc.key)} 在同一个对象中出现了两次", field="file") from None
    except RecursionError:
        raise InvalidInput(JSON_TOO_DEEP, field="file") from None
    if not isinstance(data, dict):
        raise InvalidInput("文件内容应为一个 JSON 对象 {\"year\": …, …}", field="file")
    _check_keys(data, SCHEDULE_KEYS, "")

    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"年份应为 {MIN_YEAR}–{MAX_YEAR} 之间的整数，而不是 {_show(year)}", field="year")
    source = data["source"]
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput("应写明安排的来源（通知名称与文号），不能为空", field="source")
    source = " ".join(source.split())
    if len(source) > SOURCE_MAX:
        raise InvalidInput(f"来源过长（{len(source)} 字，最多 {SOURCE_MAX} 字）", field="source")

    seen: dict[dt.date, str] = {}  # date -> path where first listed

    def collect(key: str, *, allow_bare_dates: bool) -> dict[dt.date, str]:
        days: dict[dt.date, str] = {}
        for name, _entry_path, values in _entries(data[key], key, allow_bare_dates=allow_bare_dates):
            for path, value in values:
                for d in _parse_dates(value, path):
                    if not in_schedule_year(d, year):
                        raise InvalidInput(
                            f"{d} 不在 {year} 年内（只能是 {year} 年的日期，或 {year - 1} 年 12 月的元旦假期日期）",
                            field=path,
                        )
                    if d in seen:
                        first = seen[d]
                        if key == "makeup_workdays" and first.startswith("holidays"):
                            raise InvalidInput(f"{d} 已在 {first} 列为节假日，不能同时是调休上班日", field=path)
                        raise InvalidInput(f"日期 {d} 重复（已在 {first} 列出）", field=path)
                    if key == "makeup_workdays" and d.weekday() < 5:
                        raise InvalidInput(
                            f"{d} 是{WEEKDAY_NAMES[d.weekday()]}：调休上班日只能是星期六或星期日", field=path
                        )
                    seen[d] = path
                    days[d] = name
        return days

    holidays = collect("holidays", allow_bare_dates=False)
    if not holidays:
        raise InvalidInput("holidays 不能为空：每年的通知都会列出节假日", field="holidays")
    makeup = collect("makeup_workdays", allow_bare_dates=True)
    return ScheduleFile(year=year, source=source, holidays=holidays, makeup_workdays=makeup)


class Run(NamedTuple):
    """Consecutive days of the same kind and name, e.g. 春节 2025-01-28 … 2025-02-04."""

    first: dt.date
    last: dt.date
    kind: DayKind
    name: str

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


def group_runs(days: Iterable[tuple[dt.date, SpecialDay]]) -> list[Run]:
    """Merge consecutive dates of the same kind and name into runs, in date order."""
    runs: list[Run] = []
    for d, special in sorted(days):
        last = runs[-1] if runs else None
        if last and (last.kind, last.name) == special and last.last == d - dt.timedelta(days=1):
            runs[-1] = last._replace(last=d)
        else:
            runs.append(Run(d, d, special.kind, special.name))
    return runs


def dump_schedule(year: int, source: str, days: Iterable[tuple[dt.date, SpecialDay]]) -> str:
    """Write special days in the schedule file format (inverse of :func:`parse_schedule`)."""
    holidays: dict[str, list[str]] = {}
    makeup: dict[str, list[str]] = {}
    for run in group_runs(days):
        text = run.first.isoformat() if run.days == 1 else f"{run.first.isoformat()}/{run.last.isoformat()}"
        target = holidays if run.kind is DayKind.HOLIDAY else makeup
        target.setdefault(run.name, []).append(text)
    makeup_entries: list[Any] = []
    for name, dates in makeup.items():
        # Make-up days without a holiday name are written as bare dates, as the format allows.
        if name:
            makeup_entries.append({"name": name, "dates": dates})
        else:
            makeup_entries.extend(dates)
    data = {
        "year": year,
        "source": source,
        "holidays": [{"name": name, "dates": dates} for name, dates in holidays.items()],
        "makeup_workdays": makeup_entries,
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
