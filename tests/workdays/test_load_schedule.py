"""Loading a year's schedule: what it writes, what it refuses, and that a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pubcredit.errors import InvalidInput
from pubcredit.workdays import services
from pubcredit.workdays.models import CalendarDay, ScheduleYear, SpecialDayKind

pytestmark = pytest.mark.django_db

D = dt.date


def table_state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Everything in both tables, to compare before and after a refused load."""
    years = list(
        ScheduleYear.objects.order_by("year").values_list("year", "source", "loaded_at", "loaded_by", "history")
    )
    days = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "holiday_name", "schedule_id"))
    return years, days


def test_load_writes_the_year_and_its_days(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    schedule = services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    assert schedule.year == 2027
    assert schedule.source == "测试用虚构安排（非真实通知） / schedule-2027.json"
    assert schedule.loaded_by == "test:operator"
    assert schedule.days.filter(kind=SpecialDayKind.HOLIDAY).count() == 18
    assert list(schedule.days.filter(kind=SpecialDayKind.MAKEUP_WORKDAY).values_list("date", "holiday_name")) == [
        (D(2027, 2, 14), "春节"), (D(2027, 2, 20), "春节"), (D(2027, 9, 26), "国庆节"), (D(2027, 10, 9), "国庆节"),
    ]
    assert services.calendar().is_known_year(2027)


def test_load_from_text(schedule_2027: dict[str, Any]) -> None:
    schedule = services.load_schedule(json.dumps(schedule_2027), actor="test:operator")
    assert schedule.source == "测试用虚构安排（非真实通知）"


def test_utf8_bom_is_tolerated(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    path = write_schedule(b"\xef\xbb\xbf" + json.dumps(schedule_2027, ensure_ascii=False).encode())
    assert services.load_schedule(path, actor="test:operator").year == 2027


def test_new_year_days_of_the_december_before(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    schedule_2027["holidays"][0]["dates"] = ["2026-12-31/2027-01-02"]
    services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    day = CalendarDay.objects.get(date=D(2026, 12, 31))
    assert (day.kind, day.holiday_name, day.schedule_id) == ("holiday", "元旦", 2027)
    assert services.add_working_days(D(2026, 12, 30), 1).date == D(2027, 1, 4)


def test_replace_keeps_the_earlier_version(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    services.load_schedule(write_schedule(schedule_2027), actor="test:first")
    services.calendar()  # cached before the correction
    schedule_2027["makeup_workdays"][1]["dates"] = ["2027-09-25", "2027-10-09"]
    schedule_2027["source"] = "更正后的虚构安排"
    schedule = services.load_schedule(write_schedule(schedule_2027, "fixed.json"), actor="test:second", replace=True)
    assert schedule.loaded_by == "test:second"
    assert schedule.source == "更正后的虚构安排 / fixed.json"
    assert not CalendarDay.objects.filter(date=D(2027, 9, 26)).exists()
    assert CalendarDay.objects.filter(date=D(2027, 9, 25)).exists()
    [earlier] = schedule.history
    assert earlier["loaded_by"] == "test:first"
    assert ["2027-09-26", "makeup_workday", "国庆节"] in earlier["days"]
    assert services.is_workday(D(2027, 9, 25)).kind == "makeup_workday"  # the cache was dropped


def test_replace_of_a_year_not_loaded_simply_loads(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    schedule = services.load_schedule(write_schedule(schedule_2027), actor="test:operator", replace=True)
    assert schedule.history == []


@pytest.fixture
def unchanged() -> Any:
    """Assert at the end of the test that neither table changed."""
    before = table_state()
    yield
    assert table_state() == before


def _edited(schedule: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    *parents, last = path.split(".")
    node: Any = schedule
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if value is ...:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return schedule


REFUSED = [
    ("date not in the year", "holidays.2.dates", ["2026-10-01"], "holidays[3].dates[1]", "不在 2027 年内"),
    ("make-up not a weekend", "makeup_workdays.0.dates", ["2027-02-15"], "makeup_workdays[1].dates[1]", "周一"),
    ("holiday also make-up", "makeup_workdays.0.dates", ["2027-02-07"], "makeup_workdays[1].dates[1]", "列为节假日"),
    ("duplicate", "holidays.0.dates", ["2027-01-01", "2027-01-01"], "holidays[1].dates[2]", "重复"),
    ("missing field", "makeup_workdays", ..., "makeup_workdays", "缺少字段"),
    ("unknown field", "remarks", "x", "remarks", "未知字段"),
]


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(("path", "value", "field", "words"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_file_writes_nothing(
    write_schedule: Any, schedule_2027: dict[str, Any], path: str, value: Any, field: str, words: str
) -> None:
    bad = write_schedule(_edited(schedule_2027, path, value))
    with pytest.raises(InvalidInput) as info:
        services.load_schedule(bad, actor="test:operator")
    assert info.value.field == field
    assert words in info.value.message


@pytest.mark.usefixtures("unchanged")
def test_bad_json_names_the_line(write_schedule: Any) -> None:
    lines = ['{', '  "year": 2027,', '  "source": "x",', '  "holidays": [',
             '    {"name": "元旦", "dates": ["2027-01-01",]}', '  ]', '}']
    bad = write_schedule("\n".join(lines))
    with pytest.raises(InvalidInput, match=r"^file: 第 5 行第 43 列：JSON 语法错误（Expecting value）$"):
        services.load_schedule(bad, actor="test:operator")


@pytest.mark.usefixtures("unchanged")
def test_year_already_loaded_is_refused_without_replace(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    schedule_2027.update(year=2026, holidays=[{"name": "元旦", "dates": ["2026-01-01"]}], makeup_workdays=[])
    with pytest.raises(InvalidInput) as info:
        services.load_schedule(write_schedule(schedule_2027), actor="test:operator")
    assert info.value.field == "year"
    assert "2026 年的节假日安排已于" in info.value.message
    assert "migration:workdays.0002" in info.value.message
    assert "--replace" in info.value.message


@pytest.mark.usefixtures("unchanged")
def test_a_day_set_by_another_years_notice_is_refused(write_schedule: Any) -> None:
    # 2023-12-30/31 were set by the 2024 notice; a corrected 2023 file may not claim them.
    data = {"year": 2023, "source": "x", "holidays": [{"name": "元旦", "dates": ["2023-12-31"]}], "makeup_workdays": []}
    with pytest.raises(InvalidInput, match="2023-12-31 已由 2024 年度安排设为法定节假日"):
        services.load_schedule(write_schedule(data), actor="test:operator", replace=True)


@pytest.mark.usefixtures("unchanged")
def test_refused_replace_keeps_the_old_schedule(write_schedule: Any, schedule_2027: dict[str, Any]) -> None:
    schedule_2027.update(year=2026, makeup_workdays=["2026-02-16"])  # a Monday
    schedule_2027["holidays"] = [{"name": "春节", "dates": ["2026-02-15"]}]
    with pytest.raises(InvalidInput, match="周一"):
        services.load_schedule(write_schedule(schedule_2027), actor="test:operator", replace=True)


@pytest.mark.usefixtures("unchanged")
@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"year": 2027, "source": "\xb9\xfa\xb0\xec"}', "不是 UTF-8"),  # GBK bytes
        (b"", "JSON 语法错误"),
    ],
)
def test_unreadable_files(write_schedule: Any, content: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        services.load_schedule(write_schedule(content), actor="test:operator")


@pytest.mark.usefixtures("unchanged")
def test_missing_file_and_missing_actor(tmp_path: Path, schedule_2027: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput, match="找不到文件"):
        services.load_schedule(tmp_path / "nope.json", actor="test:operator")
    with pytest.raises(InvalidInput) as info:
        services.load_schedule(json.dumps(schedule_2027), actor="  ")
    assert info.value.field == "actor"


def test_export_gives_a_file_that_reloads_identically(tmp_path: Path) -> None:
    before = table_state()
    path = tmp_path / "2025.json"
    path.write_text(services.export_schedule(2025), encoding="utf-8")
    services.load_schedule(path, actor="test:operator", replace=True)
    assert table_state()[1] == before[1]
    assert ScheduleYear.objects.get(year=2025).source.endswith(" / 2025.json")


@pytest.mark.usefixtures("unchanged")
def test_json_nested_too_deeply_is_refused_naming_the_file(write_schedule: Any) -> None:
    bad = write_schedule('{"year": 2027, "holidays": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InvalidInput, match=r"^file: JSON 嵌套层数过多"):
        services.load_schedule(bad, actor="test:operator")
