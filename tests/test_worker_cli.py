"""``pubcredit worker``: Ctrl-C in a terminal stops every worker process once, gracefully."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

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
