"""``pubcredit workdays …`` through the real entry point ``pubcredit.cli.main``."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from typing import Any

import pytest

from pubcredit import cli
from pubcredit.workdays import rules
from pubcredit.workdays.models import CalendarDay, ScheduleYear


@pytest.fixture(autouse=True)
def _only_present_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # Sibling sub-commands are written in parallel; leave out any not there yet so that these
    # tests exercise `workdays` whatever state the others are in. A no-op once all exist.
    present = [c for c in cli.COMMANDS if importlib.util.find_spec(f"pubcredit.cli.{c}") is not None]
    monkeypatch.setattr(cli, "COMMANDS", present)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["workdays", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv", [[], ["load"], ["show"], ["add"]])
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli.main(["workdays", *argv, "--help"])
    assert info.value.code == 0
    assert "usage: pubcredit workdays" in capsys.readouterr().out


@pytest.mark.django_db
def test_malformed_file_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], write_schedule: Any
) -> None:
    bad = write_schedule('{\n  "year": 2027,\n  "source": "x"\n  "holidays": []\n}\n')
    code, out, err = run(capsys, "load", str(bad))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("pubcredit: error: file: 第 4 行第 3 列：JSON 语法错误")
    assert not ScheduleYear.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_invalid_schedule_exits_2_naming_the_field(
    capsys: pytest.CaptureFixture[str], write_schedule: Any, schedule_2027: dict[str, Any]
) -> None:
    schedule_2027["makeup_workdays"][0]["dates"] = ["2027-02-15"]
    code, _out, err = run(capsys, "load", str(write_schedule(schedule_2027)))
    assert code == 2
    assert err == "pubcredit: error: makeup_workdays[1].dates[1]: 2027-02-15 是周一：调休上班日只能是星期六或星期日\n"
    assert not CalendarDay.objects.filter(schedule_id=2027).exists()


@pytest.mark.django_db
def test_load_show_add_for_2027(
    capsys: pytest.CaptureFixture[str], write_schedule: Any, schedule_2027: dict[str, Any]
) -> None:
    code, out, _ = run(capsys, "show", "2027")
    assert code == 0
    assert "尚未载入" in out
    assert "provisional" in out

    code, out, _ = run(capsys, "add", "2027-09-30", "5")
    assert (code, out) == (0, "2027-10-07 provisional（2027 年节假日安排未载入，仅按周末计算）\n")

    path = write_schedule(schedule_2027)
    code, out, _ = run(capsys, "load", str(path), "--actor", "test:operator")
    assert code == 0
    assert out.startswith("2027 年节假日安排已载入：18 天节假日，4 天调休上班日")

    code, out, _ = run(capsys, "add", "2027-09-30", "5")
    assert (code, out) == (0, "2027-10-13\n")

    code, _out, err = run(capsys, "load", str(path))
    assert code == 2
    assert "已于" in err
    assert "--replace" in err
    code, _out, _err = run(capsys, "load", str(path), "--replace")
    assert code == 0


@pytest.mark.django_db
def test_show_a_seeded_year(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "2025")
    assert code == 0
    assert "2025 年节假日安排 — 来源：chinesecalendar 1.11" in out
    assert "  春节\t2025-01-28（周二） 至 2025-02-04（周二），共 8 天" in out
    assert "  春节\t2025-01-26（周日）" in out
    assert "  中秋\t2025-10-06（周一）" in out


@pytest.mark.django_db
def test_show_marks_days_set_by_the_next_notice(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, _ = run(capsys, "show", "2018")
    assert "  元旦\t2018-12-29（周六）  [据 2019 年度安排]" in out


@pytest.mark.django_db
def test_show_json_is_the_file_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "2026", "--json")
    assert code == 0
    parsed = rules.parse_schedule(out)
    assert parsed.year == 2026
    assert parsed.holidays[dt.date(2026, 2, 15)] == "春节"
    assert json.loads(out)["holidays"][0] == {"name": "元旦", "dates": ["2026-01-01/2026-01-03"]}


@pytest.mark.django_db
def test_show_json_of_a_year_not_loaded_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run(capsys, "show", "2027", "--json")
    assert (code, err) == (2, "pubcredit: error: year: 2027 年的节假日安排尚未载入\n")


@pytest.mark.parametrize("year", ["0", "-5", "10000", "99999"])
def test_show_of_a_year_no_date_can_have_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str],
                                                                     year: str) -> None:
    code, _out, err = run(capsys, "show", year)
    assert (code, err) == (2, f"pubcredit: error: year: 年份应在 1 到 9999 之间，实际为 {year}\n")


@pytest.mark.django_db
def test_add_on_a_seeded_year(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "add", "2025-01-27", "5") == (0, "2025-02-10\n", "")
    assert run(capsys, "add", "2025-01-27", "2") == (0, "2025-02-06\n", "")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["add", "2025-13-01", "5"], "pubcredit: error: START: '2025-13-01' 不是 YYYY-MM-DD 格式的日期\n"),
        (["add", "2025-01-27", "five"], "pubcredit: error: N: 'five' 不是整数\n"),
        (["add", "2025-01-27", "-1"], "pubcredit: error: n: 工作日数不能为负数（-1）\n"),
    ],
)
def test_add_errors(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, _out, err = run(capsys, *argv)
    assert (code, err) == (2, message)
