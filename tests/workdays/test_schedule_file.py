"""The schedule file format: parsing, every rejection with its field, and the round trip (no database)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest

from pubcredit.errors import InvalidInput
from pubcredit.workdays.rules import DayKind, SpecialDay, dump_schedule, group_runs, parse_schedule

D = dt.date


def test_parses_ranges_lists_and_bare_make_up_dates(schedule_2027: dict[str, Any]) -> None:
    schedule_2027["makeup_workdays"].append("2027-03-06")
    parsed = parse_schedule(json.dumps(schedule_2027, ensure_ascii=False))
    assert parsed.year == 2027
    assert parsed.source == "测试用虚构安排（非真实通知）"
    assert len(parsed.holidays) == 3 + 8 + 7
    assert parsed.holidays[D(2027, 2, 9)] == "春节"
    assert parsed.makeup_workdays == {
        D(2027, 2, 14): "春节", D(2027, 2, 20): "春节", D(2027, 9, 26): "国庆节", D(2027, 10, 9): "国庆节",
        D(2027, 3, 6): "",
    }
    assert parsed.special_days()[D(2027, 10, 9)] == SpecialDay(DayKind.MAKEUP_WORKDAY, "国庆节")


def test_new_year_days_of_the_december_before_belong_to_the_notice(schedule_2027: dict[str, Any]) -> None:
    # As the 2019 notice did: 2018-12-29 上班, 2018-12-30 … 2019-01-01 放假.
    schedule_2027["holidays"][0]["dates"] = ["2026-12-31/2027-01-02"]
    parsed = parse_schedule(json.dumps(schedule_2027))
    assert parsed.holidays[D(2026, 12, 31)] == "元旦"


def _edit(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``value`` at a dotted/indexed path (``holidays.0.dates``); a value of ... deletes."""

    def apply(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del node[key]
        else:
            node[key] = value

    return apply


REJECTIONS = [
    # (id, edit, field, words in the message)
    ("missing year", _edit("year", ...), "year", "缺少字段"),
    ("missing source", _edit("source", ...), "source", "缺少字段"),
    ("missing holidays", _edit("holidays", ...), "holidays", "缺少字段"),
    ("missing makeup", _edit("makeup_workdays", ...), "makeup_workdays", "缺少字段"),
    ("missing name", _edit("holidays.1.name", ...), "holidays[2].name", "缺少字段"),
    ("missing dates", _edit("holidays.1.dates", ...), "holidays[2].dates", "缺少字段"),
    ("unknown field", _edit("makeup_workday", []), "makeup_workday", "未知字段"),
    ("year as text", _edit("year", "2027"), "year", "整数"),
    ("year out of range", _edit("year", 1999), "year", "整数"),
    ("empty source", _edit("source", "  "), "source", "来源"),
    ("empty name", _edit("holidays.0.name", ""), "holidays[1].name", "名称"),
    ("empty holidays", _edit("holidays", []), "holidays", "不能为空"),
    ("empty dates", _edit("holidays.0.dates", []), "holidays[1].dates", "非空"),
    ("holidays not a list", _edit("holidays", {"元旦": "2027-01-01"}), "holidays", "列表"),
    ("bad date format", _edit("holidays.0.dates", ["2027/01/01"]), "holidays[1].dates[1]", "YYYY-MM-DD"),
    ("impossible date", _edit("holidays.0.dates", ["2027-02-30"]), "holidays[1].dates[1]", "不是有效日期"),
    ("date as number", _edit("holidays.0.dates", [20270101]), "holidays[1].dates[1]", "字符串"),
    ("range backwards", _edit("holidays.0.dates", ["2027-01-03/2027-01-01"]), "holidays[1].dates[1]", "早于"),
    ("range too long", _edit("holidays.0.dates", ["2027-01-01/2027-03-01"]), "holidays[1].dates[1]", "请检查月份"),
    ("date in another year", _edit("holidays.2.dates", ["2026-10-01/2026-10-07"]), "holidays[3].dates[1]",
     "不在 2027 年内"),
    ("date in the next year", _edit("makeup_workdays.1.dates", ["2028-01-02"]), "makeup_workdays[2].dates[1]",
     "不在 2027 年内"),
    ("make-up on a Monday", _edit("makeup_workdays.0.dates", ["2027-02-15"]), "makeup_workdays[1].dates[1]",
     "2027-02-15 是周一"),
    ("holiday also make-up", _edit("makeup_workdays.0.dates", ["2027-02-13"]), "makeup_workdays[1].dates[1]",
     "已在 holidays[2].dates[1] 列为节假日"),
    ("duplicate holiday", _edit("holidays.0.dates", ["2027-01-01/2027-01-03", "2027-01-02"]),
     "holidays[1].dates[2]", "日期 2027-01-02 重复"),
    ("duplicate across holidays", _edit("holidays.2.dates", ["2027-02-13"]), "holidays[3].dates[1]", "重复"),
    ("duplicate make-up", _edit("makeup_workdays.1.dates", ["2027-02-14"]), "makeup_workdays[2].dates[1]", "重复"),
    ("make-up entry wrong shape", _edit("makeup_workdays.0", 5), "makeup_workdays[1]", "应为"),
]


@pytest.mark.parametrize(("edit", "field", "words"), [r[1:] for r in REJECTIONS], ids=[r[0] for r in REJECTIONS])
def test_rejections_name_field_and_reason(
    schedule_2027: dict[str, Any], edit: Callable[[dict[str, Any]], None], field: str, words: str
) -> None:
    edit(schedule_2027)
    with pytest.raises(InvalidInput) as info:
        parse_schedule(json.dumps(schedule_2027, ensure_ascii=False))
    assert info.value.field == field
    assert words in info.value.message
    assert "\n" not in str(info.value)


def test_bad_json_gives_line_and_column() -> None:
    text = '{\n  "year": 2027,\n  "source": "x"\n  "holidays": []\n}\n'
    with pytest.raises(InvalidInput) as info:
        parse_schedule(text)
    assert info.value.field == "file"
    assert info.value.message.startswith("第 4 行第 3 列：JSON 语法错误")


def test_duplicate_key_is_refused_not_silently_overwritten(schedule_2027: dict[str, Any]) -> None:
    text = json.dumps(schedule_2027, ensure_ascii=False)[:-1] + ', "year": 2028}'
    with pytest.raises(InvalidInput, match='"year" 在同一个对象中出现了两次'):
        parse_schedule(text)


@pytest.mark.parametrize("text", ["", "[]", '"2027"'])
def test_not_an_object(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_schedule(text)
    assert info.value.field == "file"


def test_dump_then_parse_round_trips(schedule_2027: dict[str, Any]) -> None:
    schedule_2027["makeup_workdays"].append("2027-03-06")
    parsed = parse_schedule(json.dumps(schedule_2027))
    text = dump_schedule(2027, parsed.source, parsed.special_days().items())
    again = parse_schedule(text)
    assert again == parsed
    assert json.loads(text)["holidays"][1] == {"name": "春节", "dates": ["2027-02-06/2027-02-13"]}


def test_group_runs_merges_consecutive_days_of_one_holiday() -> None:
    days = [
        (D(2025, 10, 5), SpecialDay(DayKind.HOLIDAY, "国庆节")),
        (D(2025, 10, 6), SpecialDay(DayKind.HOLIDAY, "中秋")),
        (D(2025, 10, 7), SpecialDay(DayKind.HOLIDAY, "国庆节")),
        (D(2025, 10, 8), SpecialDay(DayKind.HOLIDAY, "国庆节")),
    ]
    runs = group_runs(days)
    assert [(r.first, r.days, r.name) for r in runs] == [
        (D(2025, 10, 5), 1, "国庆节"), (D(2025, 10, 6), 1, "中秋"), (D(2025, 10, 7), 2, "国庆节"),
    ]
