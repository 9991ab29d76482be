"""``pubcredit audit``: seal, checkpoint, verify (exit 2 naming the break), public key, checkpoints."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection

from pubcredit.audit import queries
from pubcredit.audit.models import Checkpoint
from pubcredit.cli import main
from pubcredit.cli.audit import start_background_sealer
from tests.audit.conftest import attacker, record

pytestmark = pytest.mark.django_db


def test_seal_then_verify(capsys: pytest.CaptureFixture[str]) -> None:
    record(7)
    assert main(["audit", "seal", "--batch", "3", "--checkpoint-every", "5"]) == 0
    out = capsys.readouterr().out
    assert "checkpoint at seq 6" in out  # after the batch that passed 5 entries
    assert "checkpoint at seq 7" in out  # and at the end
    assert "sealed 7 entries" in out
    assert main(["audit", "verify", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("OK: 7 entries, 2 checkpoints, verified in ")


def test_verify_names_the_first_break_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    record(5)
    main(["audit", "seal", "--quiet"])
    with attacker() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE seq = 3")
    capsys.readouterr()
    assert main(["audit", "verify", "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("pubcredit: error: audit chain broken at seq 3: missing seq: seq 3 missing")
    assert "the next entry is seq 4" in captured.err
    assert captured.err.count("\n") == 1


def test_checkpoint_public_key_and_kept_checkpoints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", "checkpoint"]) == 2
    assert "尚无已封存" in capsys.readouterr().err
    record(2)
    main(["audit", "seal", "--quiet"])
    assert main(["audit", "checkpoint"]) == 0
    assert "seq 2" in capsys.readouterr().out
    assert main(["audit", "public-key"]) == 0
    out = capsys.readouterr().out
    info = queries.public_key()
    assert f"key id: {info.key_id}" in out
    assert info.public_key_b64 in out
    assert main(["audit", "checkpoints", "--json"]) == 0
    kept = tmp_path / "heads.jsonl"
    kept.write_text(capsys.readouterr().out, encoding="utf-8")
    assert main(["audit", "verify", "--quiet", "--checkpoints-file", str(kept),
                 "--public-key", info.public_key_b64]) == 0
    assert "OK: 2 entries" in capsys.readouterr().out
    assert Checkpoint.objects.count() == 1


@pytest.mark.parametrize(("argv", "reason"), [
    (["audit", "verify", "--public-key", "abc"], "--public-key"),
    (["audit", "verify", "--checkpoints-file", "/nonexistent/heads.jsonl"], "cannot read"),
    (["audit", "seal", "--batch", "0"], "must be positive"),
])
def test_refusals_exit_2_with_one_line(argv: list[str], reason: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("pubcredit: error: ")
    assert reason in err
    assert err.count("\n") == 1


@pytest.mark.django_db(transaction=True)
def test_the_background_sealer_seals_and_signs_committed_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``pubcredit serve`` starts: ``audit seal --follow`` in a child process."""
    db = connection.settings_dict
    monkeypatch.setenv("DATABASE_URL", f"postgresql://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
                                       f"{db['NAME']}")
    record(3)
    child = start_background_sealer(interval=0.2)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (queries.unsealed_count() == 0 and queries.checkpoints()):
            time.sleep(0.2)
        record(2)
        while time.monotonic() < deadline and queries.last_checkpoint_seq() < 5:
            time.sleep(0.2)
        assert child.process.poll() is None
    finally:
        child.stop()
    assert child.process.poll() is not None
    assert child.restarts == 0
    report = queries.verify()
    assert report.ok, report.summary()
    assert (report.entries, report.unsealed, queries.last_checkpoint_seq()) == (5, 0, 5)


def test_a_checkpoints_file_nested_too_deeply_exits_2_with_one_line(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "heads.jsonl"
    deep.write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    assert main(["audit", "verify", "--checkpoints-file", str(deep)]) == 2
    err = capsys.readouterr().err
    assert "line 1: JSON nested too deeply" in err
    assert err.count("\n") == 1


# --- bad input from an auditor's hand: one line, exit 2 (a reviewer's findings, session 12) ----------

def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    from pubcredit import cli

    code = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("pubcredit: error:")
    assert "\n" not in err
    return err


def test_a_checkpoints_file_not_in_utf8_is_refused_in_one_line(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_bytes("检查点".encode("gbk"))  # saved by a Windows editor
    assert "not UTF-8" in _one_line_error(capsys, ["audit", "verify", "--quiet", "--checkpoints-file", str(path)])


def test_an_infinite_number_in_a_checkpoints_file_is_refused_in_one_line(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text('{"id": 1e400, "seq": 1, "head_hash": "00", "created_at": "2026-01-01T00:00:00Z", '
                    '"key_id": "k", "signature": "s"}\n', encoding="utf-8")
    assert "line 1" in _one_line_error(capsys, ["audit", "verify", "--quiet", "--checkpoints-file", str(path)])


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_interval_is_refused_in_one_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert "--interval" in _one_line_error(capsys, ["audit", "seal", "--follow", "--quiet", "--interval", value])
