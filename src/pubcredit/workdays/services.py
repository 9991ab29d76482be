"""The working-day calendar from the database, deadlines on it, and loading a year's schedule.

Deadlines (Art. 34, 35) are counted on :func:`calendar`, a :class:`rules.WorkdayCalendar`
built from the ``CalendarDay``/``ScheduleYear`` tables and cached in the process; see
:meth:`rules.WorkdayCalendar.add_working_days` for the counting convention. A year without a
loaded schedule is counted by weekends only and every result says ``provisional``.

Schedule file (UTF-8 JSON; the full description is ``docs/workdays-schedule.md``)::

    {
      "year": 2027,
      "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）",
      "holidays": [
        {"name": "元旦", "dates": ["2027-01-01"]},
        {"name": "春节", "dates": ["2027-02-06/2027-02-13"]}
      ],
      "makeup_workdays": [
        {"name": "春节", "dates": ["2027-02-14"]},
        "2027-02-20"
      ]
    }

``holidays`` lists every day off of each holiday block (weekend days inside the block
included); ``dates`` items are ``YYYY-MM-DD`` or an inclusive range ``start/end``;
``makeup_workdays`` are the Saturdays and Sundays declared working days, each either a bare
date or ``{"name", "dates"}``. Dates lie in ``year``, or in the December before for New Year
days the notice sets there. :func:`load_schedule` rejects a bad file with a one-line reason
and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from pubcredit.errors import InvalidInput
from pubcredit.workdays import rules
from pubcredit.workdays.models import CalendarDay, ScheduleYear, SpecialDayKind
from pubcredit.workdays.rules import DayCheck, DayKind, Deadline, SpecialDay, WorkdayCalendar, WorkingDayCount

#: Largest schedule file accepted; a real one is about 2 KB.
MAX_FILE_BYTES = 1_000_000
#: How long a process keeps its calendar before re-reading the tables. The loading process
#: drops its copy at once; other processes (web workers) see a new year within this time.
CACHE_SECONDS = 300.0

_cache_lock = threading.Lock()
_cached: tuple[float, WorkdayCalendar] | None = None


def clear_cache() -> None:
    """Forget the cached calendar; the next :func:`calendar` call reads the tables again."""
    global _cached
    with _cache_lock:
        _cached = None


def _read_calendar() -> WorkdayCalendar:
    days = {
        d: SpecialDay(DayKind(kind), name)
        for d, kind, name in CalendarDay.objects.values_list("date", "kind", "holiday_name")
    }
    return WorkdayCalendar(days, ScheduleYear.objects.values_list("year", flat=True))


def calendar() -> WorkdayCalendar:
    """The official working-day calendar as loaded (Art. 34, 35), cached for ``CACHE_SECONDS``."""
    global _cached
    with _cache_lock:
        now = time.monotonic()
        if _cached is None or now - _cached[0] > CACHE_SECONDS:
            _cached = (now, _read_calendar())
        return _cached[1]


def schedule_reminder(today: dt.date | None = None) -> str:
    """What to tell operators about loading a year's schedule (``rules.schedule_reminder``),
    as one sentence in the active language, or "" when nothing is due."""
    from django.utils.translation import gettext

    due = rules.schedule_reminder(today or timezone.localdate(), calendar().known_years)
    if due is None:
        return ""
    year, urgent = due
    if urgent:
        text = gettext("%(year)d 年节假日安排尚未载入：从今天起计算的期限只扣除周末，均为暂定。"
                       "请按国务院办公厅通知用 pubcredit workdays load 载入。")
    else:
        text = gettext("%(year)d 年节假日安排尚未载入：落入该年的期限只扣除周末，标为暂定。"
                       "国务院办公厅通知发布后，请用 pubcredit workdays load 载入。")
    return text % {"year": year}


def _invalid(exc: ValueError, field: str) -> InvalidInput:
    return InvalidInput(str(exc), field=field)


def is_workday(d: dt.date) -> DayCheck:
    """Whether ``d`` is a working day on the official calendar; truthy if it is."""
    return calendar().is_workday(d)


def next_working_day(d: dt.date, *, include_start: bool = False) -> Deadline:
    """The first working day after ``d`` (or ``d`` itself if ``include_start`` and it is one)."""
    try:
        return calendar().next_working_day(d, include_start=include_start)
    except ValueError as exc:
        raise _invalid(exc, "date") from None


def add_working_days(start: dt.date, n: int) -> Deadline:
    """The last day of ``n`` working days from receipt on ``start`` (Art. 34, 35).

    ``start`` is the local (Asia/Shanghai) day of receipt, e.g. ``timezone.localdate(received_at)``;
    it is not counted, day 1 is the first working day after it. Provisional if a day counted
    lies in a year with no loaded schedule. Raises InvalidInput for a negative or too large ``n``.
    """
    try:
        return calendar().add_working_days(start, n)
    except ValueError as exc:
        raise _invalid(exc, "n") from None


def working_days_between(a: dt.date, b: dt.date) -> WorkingDayCount:
    """Working days after ``a`` up to and including ``b`` (negative if ``b`` is before ``a``)."""
    try:
        return calendar().working_days_between(a, b)
    except ValueError as exc:
        raise _invalid(exc, "b") from None


@dataclass(frozen=True)
class YearView:
    """What the tables say about one year: its schedule row (None if not loaded) and its days.

    ``days`` are the special days dated in the year, plus the December days before it that
    the year's own notice set; each carries the schedule year it came from.
    """

    year: int
    schedule: ScheduleYear | None
    days: list[CalendarDay]

    @property
    def loaded(self) -> bool:
        return self.schedule is not None


def year_view(year: int) -> YearView:
    """The schedule and special days of ``year``, for display (``pubcredit workdays show``).

    Raises InvalidInput for a year no date can have (outside 1–9999)."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise InvalidInput(f"年份应在 {dt.MINYEAR} 到 {dt.MAXYEAR} 之间，实际为 {year}", field="year")
    schedule = ScheduleYear.objects.filter(year=year).first()
    days = list(CalendarDay.objects.filter(Q(date__year=year) | Q(schedule_id=year)).order_by("date"))
    return YearView(year, schedule, days)


def export_schedule(year: int) -> str:
    """The loaded schedule of ``year`` in the file format, ready to correct and reload with ``replace``.

    Raises InvalidInput if the year is not loaded.
    """
    schedule = ScheduleYear.objects.filter(year=year).first()
    if schedule is None:
        raise InvalidInput(f"{year} 年的节假日安排尚未载入", field="year")
    days = [(day.date, SpecialDay(DayKind(day.kind), day.holiday_name)) for day in schedule.days.all()]
    return rules.dump_schedule(year, schedule.source, days)


def _read_source(source: Path | str) -> tuple[str, str]:
    """Return (text, file name) for a path, or (text, "") for text given directly."""
    if isinstance(source, str):
        return source, ""
    try:
        with source.open("rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidInput(f"找不到文件 {source}", field="file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{source} 是目录，不是文件", field="file") from None
    except OSError as exc:
        raise InvalidInput(f"无法读取 {source}：{exc.strerror}", field="file") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InvalidInput(f"文件过大（超过 {MAX_FILE_BYTES} 字节），不像是节假日安排", field="file")
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM some editors write
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"第 {line} 行：不是 UTF-8 编码的文本（第 {exc.start} 字节）", field="file") from None
    return text, source.name


def _snapshot(schedule: ScheduleYear) -> dict[str, object]:
    return {
        "source": schedule.source,
        "loaded_at": schedule.loaded_at.isoformat(),
        "loaded_by": schedule.loaded_by,
        "days": [[day.date.isoformat(), day.kind, day.holiday_name] for day in schedule.days.order_by("date")],
    }


@transaction.atomic
def load_schedule(source: Path | str, *, actor: str, replace: bool = False) -> ScheduleYear:
    """Load one year's State Council holiday schedule, making that year's deadlines final (Art. 34, 35).

    ``source`` is a file path, or the JSON text itself when given as ``str``. A year already
    loaded is refused unless ``replace``; replacing keeps the earlier version in
    ``ScheduleYear.history``. Raises InvalidInput (one line, ``field`` naming where) for any
    problem in the file, for a year already loaded, or for a date another year's schedule
    already sets; nothing is written then. The cached calendar is dropped on commit.
    """
    actor = (actor or "").strip()
    if not actor:
        raise InvalidInput("必须写明载入人", field="actor")
    text, file_name = _read_source(source)
    parsed = rules.parse_schedule(text)
    year = parsed.year
    source_text = f"{parsed.source} / {file_name}" if file_name else parsed.source

    existing = ScheduleYear.objects.select_for_update().filter(year=year).first()
    if existing is not None and not replace:
        raise InvalidInput(
            f"{year} 年的节假日安排已于 {timezone.localtime(existing.loaded_at):%Y-%m-%d} 由 {existing.loaded_by} 载入"
            f"（{existing.source}）；如需更正，请以 replace 方式（--replace）重新载入",
            field="year",
        )
    special = parsed.special_days()
    clash = CalendarDay.objects.filter(date__in=list(special)).exclude(schedule_id=year).order_by("date").first()
    if clash is not None:
        raise InvalidInput(
            f"{clash.date} 已由 {clash.schedule_id} 年度安排设为{clash.get_kind_display()}（{clash.holiday_name}），"
            f"不能再由 {year} 年度安排设定",
            field="holidays" if clash.date in parsed.holidays else "makeup_workdays",
        )

    now = timezone.now()
    if existing is not None:
        existing.history = [*existing.history, _snapshot(existing)]
        existing.days.all().delete()
        existing.source, existing.loaded_at, existing.loaded_by = source_text, now, actor
        existing.save()
        schedule = existing
    else:
        try:
            with transaction.atomic():
                schedule = ScheduleYear.objects.create(year=year, source=source_text, loaded_at=now, loaded_by=actor)
        except IntegrityError:  # loaded by someone else a moment ago
            raise InvalidInput(f"{year} 年的节假日安排刚被他人载入，请查看后再决定是否替换", field="year") from None
    CalendarDay.objects.bulk_create(
        CalendarDay(date=d, kind=SpecialDayKind(s.kind.value), holiday_name=s.name, schedule=schedule)
        for d, s in sorted(special.items())
    )
    # Drop this process's copy now (so the loader sees its own work) and again once committed,
    # in case another thread re-read the old tables in between.
    clear_cache()
    transaction.on_commit(clear_cache)
    return schedule
