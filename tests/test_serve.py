"""``pubcredit serve``: the master loads and freezes the application before forking; a worker
collects garbage with the server's thresholds."""

from __future__ import annotations

import gc
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

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


def test_master_imports_weasyprint_before_the_fork_so_that_workers_share_it() -> None:
    from tests.collection.test_crash import _env

    code = ("import sys, django; django.setup(); from pubcredit.cli import serve; "
            "before = 'weasyprint' in sys.modules; serve.load_and_freeze(); print(before, 'weasyprint' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True,  # noqa: S603
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]  # not loaded by Django's set-up: by the master's preload


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


def test_a_worker_takes_a_connection_only_when_a_thread_is_free_and_answers_one_request_on_it() -> None:
    options = serve.gunicorn_options(host="127.0.0.1", port=8000, workers=3, threads=2)
    assert options["worker_class"] == "gthread"
    assert options["worker_connections"] == options["threads"] == 2  # no connection waits behind a busy worker
    assert options["keepalive"] == 0  # so a client's next request goes to whichever worker is free
    assert options["workers"] == 3
    assert options["bind"] == "127.0.0.1:8000"


_SLOW_APP = """
import os, sys, time
from gunicorn.app.base import BaseApplication
from pubcredit.cli import serve

def app(environ, start_response):
    time.sleep(0.4)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

class App(BaseApplication):
    def load_config(self):
        options = serve.gunicorn_options(host="127.0.0.1", port=int(sys.argv[1]), workers=2, threads=1)
        options.update(errorlog="/dev/null", post_fork=None)
        for key, value in options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        return app

App().run()
"""


def test_concurrent_requests_are_spread_over_the_workers_one_request_per_connection() -> None:
    """Four keep-alive clients at once on 2 workers × 1 thread: each worker serves one request at a
    time (never two connections queued on one busy worker), and every answer closes its connection."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_APP, str(port)], start_new_session=True)  # noqa: S603
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn did not come up"
                assert proc.poll() is None, "gunicorn exited"
                time.sleep(0.1)
        time.sleep(0.5)  # both workers forked and listening

        def ask(_: int) -> tuple[str, str, float]:
            started = time.monotonic()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", "/", headers={"Connection": "keep-alive"})
            answer = conn.getresponse()
            pid = answer.read().decode()
            conn.close()
            return pid, answer.getheader("Connection", ""), time.monotonic() - started

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, range(4)))
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    assert {connection.lower() for _, connection, _ in answers} == {"close"}
    pids = [pid for pid, _, _ in answers]
    assert sorted(pids.count(p) for p in set(pids)) == [2, 2]  # two workers, two requests each
    # Two rounds of 0.4 s: the third and fourth requests waited for a free worker, not behind one.
    assert sorted(t for _, _, t in answers)[1] < 0.75
