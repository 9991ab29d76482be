"""``pubcredit worker``: Ctrl-C in a terminal stops every worker process once, gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pubcredit.cli import worker
from tests.collection.test_crash import _env

RUNNER = "import sys; from pubcredit import cli; sys.exit(cli.main(sys.argv[1:]))"


@pytest.mark.django_db(transaction=True)
def test_ctrl_c_stops_each_worker_process_once_and_cleanly() -> None:
    command = [sys.executable, "-c", RUNNER, "worker", "--processes", "2", "--interval", "0.2"]
    # Our own interpreter with fixed arguments; its own session stands for the terminal's process group.
    proc = subprocess.Popen(command, env=_env(), text=True, stdout=subprocess.PIPE,  # noqa: S603
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        time.sleep(6)  # both processes up and polling (Django set-up, then the worker loop)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, output
    assert output.count("Starting worker") == 2, output
    # Each process told once: the parent by the terminal, its child by the parent. A second signal
    # makes a worker abandon its graceful stop.
    assert output.count("shutting down gracefully") == 2, output
    assert "Traceback" not in output


@pytest.mark.parametrize(("queues", "serves"), [
    ("*", True), ("report-pdfs", True), ("default, report-pdfs", True), ("default,batch-queries", False),
    ("collection", False),
])
def test_a_worker_warms_up_the_pdf_renderer_only_when_it_serves_the_pdf_queue(queues: str, serves: bool) -> None:
    assert worker._serves_pdfs(queues) is serves


def test_the_pdf_warm_up_loads_the_renderer_and_a_failed_one_is_reported_not_raised(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from pubcredit.reports import pdf

    assert pdf.warm_up() > 0
    assert "weasyprint" in sys.modules

    def broken() -> float:
        raise OSError("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(pdf, "warm_up", broken)
    worker._warm_up_pdf()  # does not raise: the worker keeps running its tasks
    assert "PDF warm-up failed (OSError: cannot load library 'libpango-1.0-0')" in capsys.readouterr().err
