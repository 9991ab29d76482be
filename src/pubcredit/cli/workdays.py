"""pubcredit workdays: the official working-day calendar used for deadlines (Art. 34, 35).

  pubcredit workdays load FILE [--replace]   load a year's State Council holiday schedule
  pubcredit workdays show YEAR [--json]      list a year's holidays and make-up working days
  pubcredit workdays add START N             the deadline N working days after receipt on START

The schedule file format is described in docs/workdays-schedule.md. Years 2004–2026 come
seeded from chinesecalendar; each later year must be loaded when its notice is published,
until then deadlines falling in it are provisional (weekends only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
from pathlib import Path

from pubcredit.errors import InvalidInput

SCHEDULE_FORMAT = "format: see docs/workdays-schedule.md"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "workdays", help="working-day calendar: load a year, show a year, count a deadline",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cmds = p.add_subparsers(dest="workdays_command", metavar="ACTION", required=True)

    load = cmds.add_parser(
        "load", help="load one year's holiday schedule from a JSON file",
        description="Load one year's State Council holiday schedule (UTF-8 JSON; " + SCHEDULE_FORMAT + "). "
                    "A bad file is rejected with a one-line reason and nothing is written.",
    )
    load.add_argument("file", metavar="FILE", type=Path, help="the schedule file (JSON)")
    load.add_argument("--replace", action="store_true",
                      help="replace a year already loaded (the earlier version is kept in its history)")
    load.add_argument("--actor", default="", help="who loads it (default: cli:<login name>)")
    load.set_defaults(func=run_load)

    show = cmds.add_parser(
        "show", help="list a year's holidays and make-up working days",
        description="List the statutory holidays and make-up working days of YEAR, and say whether "
                    "the year is loaded (if not, deadlines in it are provisional: weekends only).",
    )
    show.add_argument("year", metavar="YEAR", type=int, help="the year, e.g. 2026")
    show.add_argument("--json", action="store_true",
                      help="print the loaded schedule in the file format (to correct and reload with --replace)")
    show.set_defaults(func=run_show)

    add = cmds.add_parser(
        "add", help="the deadline N working days after receipt on START",
        description="Print the last day of a period of N working days starting from receipt on START: "
                    "START itself is not counted, day 1 is the first working day after it "
                    "(Art. 34 「自收到异议材料之日起的五个工作日内」). Holidays are skipped, make-up "
                    "working days count. 'provisional' is printed if a year on the way has no schedule.",
    )
    add.add_argument("start", metavar="START", help="day of receipt, YYYY-MM-DD")
    add.add_argument("n", metavar="N", help="number of working days, e.g. 5")
    add.set_defaults(func=run_add)


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in a bare container
        return "cli"


def run_load(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.workdays import services
    from pubcredit.workdays.models import SpecialDayKind

    schedule = services.load_schedule(args.file, actor=args.actor or _default_actor(), replace=args.replace)
    holidays = schedule.days.filter(kind=SpecialDayKind.HOLIDAY).count()
    makeup = schedule.days.filter(kind=SpecialDayKind.MAKEUP_WORKDAY).count()
    print(f"{schedule.year} 年节假日安排已载入：{holidays} 天节假日，{makeup} 天调休上班日（{schedule.source}）")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from django.utils import timezone

    from pubcredit.workdays import services
    from pubcredit.workdays.rules import WEEKDAY_NAMES, DayKind, SpecialDay, group_runs

    if args.json:
        print(services.export_schedule(args.year), end="")
        return 0
    view = services.year_view(args.year)
    if view.schedule is None:
        print(f"{args.year} 年：节假日安排尚未载入 — 落在该年的期限为暂定（provisional），只扣除周末。")
        print("请在国务院办公厅通知发布后用 `pubcredit workdays load FILE` 载入。")
        if not view.days:
            return 0
    else:
        loaded_at = timezone.localtime(view.schedule.loaded_at)
        print(f"{args.year} 年节假日安排 — 来源：{view.schedule.source}")
        print(f"载入：{loaded_at:%Y-%m-%d %H:%M}，{view.schedule.loaded_by}")

    def fmt(day: dt.date) -> str:
        return f"{day.isoformat()}（{WEEKDAY_NAMES[day.weekday()]}）"

    runs = group_runs((d.date, SpecialDay(DayKind(d.kind), d.holiday_name)) for d in view.days)
    other = {d.date: d.schedule_id for d in view.days if d.schedule_id != args.year}
    for kind, title in ((DayKind.HOLIDAY, "放假"), (DayKind.MAKEUP_WORKDAY, "调休上班")):
        print(f"{title}：")
        selected = [r for r in runs if r.kind is kind]
        if not selected:
            print("  （无）")
        for run in selected:
            span = fmt(run.first) if run.days == 1 else f"{fmt(run.first)} 至 {fmt(run.last)}，共 {run.days} 天"
            note = f"  [据 {other[run.first]} 年度安排]" if run.first in other else ""
            print(f"  {run.name or '—'}\t{span}{note}")
    return 0


def run_add(args: argparse.Namespace) -> int:
    try:
        start = dt.date.fromisoformat(args.start)
    except ValueError:
        raise InvalidInput(f"{args.start!r} 不是 YYYY-MM-DD 格式的日期", field="START") from None
    try:
        n = int(args.n)
    except ValueError:
        raise InvalidInput(f"{args.n!r} 不是整数", field="N") from None

    from pubcredit.cli import env

    env.setup()
    from pubcredit.workdays import services

    deadline = services.add_working_days(start, n)
    if deadline.provisional:
        years = "、".join(str(y) for y in deadline.unknown_years)
        print(f"{deadline.date.isoformat()} provisional（{years} 年节假日安排未载入，仅按周末计算）")
    else:
        print(deadline.date.isoformat())
    return 0
