"""``pubcredit catalog``: exit code 0 on success, 2 with one line on a refused input."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubcredit.catalog.models import CatalogEntry
from pubcredit.cli import main

pytestmark = pytest.mark.django_db


def test_load_then_load_again(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["catalog", "load"]) == 0
    first = capsys.readouterr().out
    count = CatalogEntry.objects.count()
    assert f"entries: created {count}, drafted 0, unchanged 0" in first
    assert main(["catalog", "load"]) == 0
    assert f"entries: created 0, drafted 0, unchanged {count}" in capsys.readouterr().out


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    main(["catalog", "load"])
    capsys.readouterr()
    assert main(["catalog", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["code", "class", "level", "state", "version", "department"]
    assert ["penalty-scjg", "adverse", "public", "published", "1", "hz-scjgj"] in [line.split() for line in out]
    assert main(["catalog", "show", "licensing-scjg"]) == 0
    shown = capsys.readouterr().out
    assert "XK_ZT" in shown
    assert "open level: public (社会公开)" in shown


@pytest.mark.parametrize(("argv", "reason"), [
    (["catalog", "show", "no-such-entry"], "目录条目 no-such-entry 不存在"),
    (["catalog", "load", "/nonexistent/catalog.json"], "不存在"),
])
def test_refusals_exit_2_with_one_line(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pubcredit: error: ")
    assert reason in err
    assert err.count("\n") == 1


def test_malformed_file_exits_2_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"format": "pubcredit.catalog/1", "title": "t"', encoding="utf-8")
    assert main(["catalog", "load", str(path)]) == 2
    err = capsys.readouterr().err
    assert "不是有效的 JSON" in err
    assert err.count("\n") == 1
    assert not CatalogEntry.objects.exists()


def test_missing_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["catalog"])
    assert exit_.value.code == 2


def test_a_file_nested_too_deeply_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text('{"format": "pubcredit.catalog/1", "entries": ' + "[" * 100_000 + "]" * 100_000 + "}",
                    encoding="utf-8")
    assert main(["catalog", "load", str(path)]) == 2
    err = capsys.readouterr().err
    assert "嵌套层数过多" in err
    assert err.count("\n") == 1
    assert not CatalogEntry.objects.exists()
