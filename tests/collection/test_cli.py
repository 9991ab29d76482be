"""``pubcredit ingest``: summary, rejected rows, exit codes (issue #3 item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pubcredit import cli
from pubcredit.catalog.models import Department
from tests.collection.conftest import penalty_row, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _ingest_command(monkeypatch: pytest.MonkeyPatch) -> None:
    if "ingest" not in cli.COMMANDS:  # the lead lists it; until then the test adds it
        monkeypatch.setattr(cli, "COMMANDS", [*cli.COMMANDS, "ingest"])


def test_ingest_prints_the_summary_and_writes_rejected_rows(dept: Department, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = write_csv(tmp_path / "p.csv", [penalty_row(), penalty_row(CF_JDRQ="2025-02-30")], encoding="gb18030")
    out_csv = tmp_path / "rejected.csv"
    code = cli.main(["ingest", str(path), "--entry", "penalty-scjg", "--dept", "hz-scjgj", "--quiet",
                     "--rejected-csv", str(out_csv)])
    out = capsys.readouterr().out
    assert code == 0  # processed, even with a rejected row
    assert "CSV（GB18030）" in out
    assert "accepted 1, updated 0, unchanged 0, rejected 1" in out
    assert "row 2, field CF_JDRQ: CF_JDRQ（处罚决定日期）：“2025-02-30” 不是有效日期" in out
    assert out_csv.read_text(encoding="utf-8-sig").splitlines()[0].endswith("行号,字段,原因")


@pytest.mark.parametrize(("args", "message"), [
    (["--entry", "penalty-scjg", "--dept", "hz-mzj"], "第十三条"),
    (["--entry", "nope", "--dept", "hz-scjgj"], "nope"),
    (["--entry", "penalty-scjg", "--dept", "nope"], "nope"),
])
@pytest.mark.parametrize("quiet", [["--quiet"], []])
def test_ingest_fails_with_one_line(dept: Department, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    args: list[str], message: str, quiet: list[str]) -> None:
    # Without --quiet too: a batch refused before any row is read shows no (empty) progress bar.
    path = write_csv(tmp_path / "p.csv", [penalty_row()])
    assert cli.main(["ingest", str(path), *quiet, *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("pubcredit: error:")
    assert message in err
    assert "\n" not in err


def test_ingest_refuses_a_bad_file(dept: Department, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"CF_WSH,CF_WSH\n1,2\n")
    assert cli.main(["ingest", str(path), "--entry", "penalty-scjg", "--dept", "hz-scjgj", "--quiet"]) == 2
    assert "重复" in capsys.readouterr().err
