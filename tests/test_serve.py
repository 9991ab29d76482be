"""``pubcredit serve``: the master loads and freezes the application before forking; a worker
collects garbage with the server's thresholds."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from pubcredit.cli import serve


@pytest.fixture
def restore_gc() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restore_gc")
def test_master_loads_every_view_then_freezes_what_is_loaded() -> None:
    gc.unfreeze()
    serve.load_and_freeze()
    assert gc.get_freeze_count() > 10_000  # the loaded application, out of the collector's reach
    assert "pubcredit.reports.api" in sys.modules  # the API and its views were imported before the fork
    assert not [o for o in gc.get_objects() if o is serve.load_and_freeze]  # frozen, so no longer tracked


@pytest.mark.usefixtures("restore_gc")
def test_worker_collects_young_objects_less_often() -> None:
    gc.set_threshold(700, 10, 10)
    serve._in_worker(None, None)
    assert gc.get_threshold() == serve.WORKER_GC_THRESHOLDS


@pytest.mark.parametrize(("argv", "told"), [
    (["--port", "99999"], "argument --port: 应在 1 到 65535 之间，实际为 99999"),
    (["--port", "0"], "argument --port: 应在 1 到 65535 之间，实际为 0"),
    (["--port", "abc"], "argument --port: 应为整数，实际为 'abc'"),
    (["--workers", "0"], "argument --workers: 应在 1 到 256 之间，实际为 0"),
    (["--threads", "0"], "argument --threads: 应在 1 到 256 之间，实际为 0"),
    (["--host", "999.1.1.1"], "argument --host: 无法解析的地址 '999.1.1.1'"),
])
def test_server_arguments_are_refused_in_one_line_before_anything_starts(
        argv: list[str], told: str, capsys: pytest.CaptureFixture[str]) -> None:
    """gunicorn met these with a traceback (port), a server that never answered (no worker) or one
    that failed to boot (no thread)."""
    from pubcredit.cli import main

    for command in ("serve", "demo"):
        with pytest.raises(SystemExit) as stopped:
            main([command, *argv])
        assert stopped.value.code == 2
        assert told in capsys.readouterr().err


def test_default_server_arguments_pass() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    serve.add_server_arguments(parser)
    args = parser.parse_args(["--host", "localhost", "--port", "8123", "--workers", "3", "--threads", "2"])
    assert (args.host, args.port, args.workers, args.threads) == ("localhost", 8123, 3, 2)
