"""Helper processes of the server are started again when they end (cli.supervise)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pubcredit.cli.supervise import Supervised


def _sleeper() -> subprocess.Popen[bytes]:
    # Our own interpreter, fixed arguments.
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


def _wait_for(condition: object, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_a_killed_helper_is_started_again_and_stop_ends_it_for_good() -> None:
    helper = Supervised("sleeper", _sleeper, restart_delay=0.05, stop_timeout=5)
    try:
        first = helper.process
        os.kill(first.pid, signal.SIGKILL)
        assert _wait_for(lambda: helper.restarts == 1)
        second = helper.process
        assert second.pid != first.pid
        assert second.poll() is None
        os.kill(second.pid, signal.SIGKILL)  # and again
        assert _wait_for(lambda: helper.restarts == 2)
    finally:
        helper.stop()
    last = helper.process
    assert last.poll() is not None  # stopped, not started again
    time.sleep(0.2)
    assert (helper.restarts, helper.process.pid) == (2, last.pid)


def test_a_helper_that_keeps_failing_is_restarted_after_a_pause_not_in_a_busy_loop() -> None:
    def failing() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])

    helper = Supervised("failing", failing, restart_delay=0.5)
    try:
        time.sleep(1.2)
    finally:
        helper.stop()
    assert 1 <= helper.restarts <= 3


def test_a_forked_process_ending_does_not_stop_the_helper() -> None:
    """gunicorn forks its workers after the helpers are started: a worker's exit must leave them running."""
    helper = Supervised("sleeper", _sleeper, restart_delay=0.05, stop_timeout=5)
    try:
        pid = os.fork()
        if pid == 0:  # the forked "worker": runs the inherited atexit callbacks as it exits
            signal.alarm(5)  # a stop that hangs here (a lock held by the parent's thread) fails the test
            try:
                helper.stop()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        time.sleep(0.2)
        assert helper.process.poll() is None
        assert helper.restarts == 0
    finally:
        helper.stop()
    assert helper.process.poll() is not None
