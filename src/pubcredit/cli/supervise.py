"""Helper processes of ``pubcredit serve``, started again when one ends while the server runs.

The server starts the audit sealer and the task workers (batch queries, record files received
through the API) as processes of their own. If one of them ends on its own — killed by the
out-of-memory killer, by an operator's ``kill -9``, or after a crash — nothing would chain the
audit log or run queued tasks until the whole service was restarted, while the portal and the
API kept answering. A thread of the server watches each of them and starts it again after a
short pause (a record file the dead worker was collecting is then finished from the spool:
``collection.queued.resume``).
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
from collections.abc import Callable

#: Seconds between a helper's end and its new start (a helper failing at once is not restarted in a busy loop).
RESTART_DELAY = 5.0


class Supervised:
    """A helper process kept running beside the server until ``stop`` (registered with atexit)."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]], *,
                 stop_timeout: float = 30.0, restart_delay: float = RESTART_DELAY) -> None:
        self.name = name
        self.restarts = 0
        self._start = start
        self._stop_timeout = stop_timeout
        self._restart_delay = restart_delay
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._owner = os.getpid()
        self.process = start()
        self._watcher = threading.Thread(target=self._watch, name=f"watch-{name}", daemon=True)
        self._watcher.start()
        atexit.register(self.stop)

    def _watch(self) -> None:
        while True:
            process = self.process
            process.wait()  # gunicorn's master may reap it first: then its exit status is lost, not its end
            if self._stopping.is_set():
                return
            print(f"pubcredit: {self.name} (pid {process.pid}) ended; starting it again in "
                  f"{self._restart_delay:g} s", file=sys.stderr, flush=True)
            if self._stopping.wait(self._restart_delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._start()
                self.restarts += 1

    def stop(self) -> None:
        """Stop the helper (SIGTERM, then SIGKILL after the timeout) and do not start it again.

        Only in the process that started it: gunicorn's workers are forked from the server after
        this was registered with atexit, and a worker ending (recycled, or at shutdown) ran it
        too, and terminated the helper behind the server's back.
        """
        if os.getpid() != self._owner:
            return
        with self._lock:
            self._stopping.set()
            process = self.process
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self._stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
