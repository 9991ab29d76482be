"""``pubcredit worker``: run background tasks (batch queries, Art. 40; record files received through
the API, Art. 13) from the database queue.

Tasks are django-tasks rows written in the same transaction as the data they work on; each
worker process claims one at a time (``SELECT … FOR UPDATE SKIP LOCKED``), so any number of
workers on any number of machines share the queue. ``pubcredit serve`` and ``pubcredit demo``
start one beside the server (``PUBCREDIT_TASK_WORKERS`` processes, default 2).

  pubcredit worker                    run tasks as they come, until interrupted
  pubcredit worker --batch            run every queued task, then exit
  pubcredit worker --processes 2      two worker processes (parts of one batch query run in parallel)
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import subprocess
import sys
import threading
import time

from pubcredit.cli.supervise import Supervised

DEFAULT_INTERVAL = 1.0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("worker", help="run background tasks (batch queries, record files received through the API)",
                       description=__doc__,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--processes", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--queues", default="*", help="comma-separated queue names, * for all (default *)")
    p.add_argument("--interval", type=float, default=DEFAULT_INTERVAL, metavar="S",
                   help=f"seconds between looks at an empty queue (default {DEFAULT_INTERVAL:g})")
    p.add_argument("--batch", action="store_true", help="run every queued task, then exit")
    p.add_argument("--quiet", action="store_true", help="no routine messages")
    p.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)  # exit when it is gone
    p.set_defaults(func=run)


def _command(args: argparse.Namespace, *, parent_pid: int | None) -> list[str]:
    command = [sys.executable, "-c", "import sys; from pubcredit.cli import main; sys.exit(main())", "worker",
               "--processes", "1", "--queues", args.queues, "--interval", str(args.interval)]
    if args.batch:
        command.append("--batch")
    if args.quiet:
        command.append("--quiet")
    if parent_pid is not None:
        command += ["--parent-pid", str(parent_pid)]
    return command


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()


def _exit_with_parent(parent_pid: int) -> None:
    """Stop (gracefully: the task at hand is finished) once the process that started us is gone."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(2)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _resume_collection() -> None:
    """Record files a stopped worker had not finished get a task again (``collection.queued.resume``)."""
    from django.db import DatabaseError

    from pubcredit.collection import queued

    try:
        queued.resume()
    except DatabaseError as exc:  # not migrated yet: nothing can be waiting
        print(f"pubcredit worker: received batches not checked ({exc.__class__.__name__})", file=sys.stderr)


def _serves_pdfs(queues: str) -> bool:
    from pubcredit.reports.tasks import PDF_QUEUE

    return queues.strip() == "*" or PDF_QUEUE in {q.strip() for q in queues.split(",")}


def _warm_up_pdf() -> None:
    """Load WeasyPrint and the CJK font now (``reports.pdf.warm_up``), beside the task loop: a
    render that comes meanwhile waits for the import to finish, never for a second one. A failure
    is only reported: the render itself says what is missing (fonts, libraries)."""
    from pubcredit.reports import pdf

    try:
        pdf.warm_up()
    except Exception as exc:  # a warm-up must never stop the worker
        print(f"pubcredit worker: PDF warm-up failed ({exc.__class__.__name__}: {exc})", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env, fail

    if args.processes < 1 or not math.isfinite(args.interval) or args.interval < 0:
        return fail("--processes must be at least 1 and --interval a number not negative")
    env.setup()
    from django.core.management import call_command

    if args.parent_pid is not None:
        _exit_with_parent(args.parent_pid)
    _resume_collection()
    if not args.batch:  # and every minute while it runs (a killed worker's session may hold a lock a while)
        from pubcredit.collection import queued

        threading.Thread(target=queued.sweep_forever, name="collection-sweep", daemon=True).start()
        # Old PDFs and batch answers past their keeping period are deleted hourly (one worker at a time).
        from pubcredit.reports import services as report_services

        threading.Thread(target=report_services.housekeeping_forever, name="reports-housekeeping",
                         daemon=True).start()
        if _serves_pdfs(args.queues):  # the first PDF would otherwise wait for WeasyPrint to load
            threading.Thread(target=_warm_up_pdf, name="pdf-warm-up", daemon=True).start()
    # The others are children of this one: they stop with it (and the server stops it). Each in its
    # own session, so Ctrl-C in a terminal reaches this process only and each child is told once
    # (a second signal makes a worker abandon its graceful stop); --parent-pid covers a crash.
    children = [subprocess.Popen(_command(args, parent_pid=os.getpid()),  # noqa: S603 - our own interpreter
                                 start_new_session=True)
                for _ in range(args.processes - 1)]
    try:
        call_command("db_worker", queue_name=args.queues, interval=args.interval, batch=args.batch, reload=False,
                     startup_delay=not args.batch, verbosity=0 if args.quiet else 1)
    finally:
        if args.batch:
            for child in children:
                child.wait()
        _stop(children)
    return 0


def start_background_worker(processes: int | None = None) -> Supervised:
    """Run ``pubcredit worker`` beside the server, stopped when the server stops and started again
    if it ends before (``cli.supervise``; on its start it queues again the record files a killed
    worker left unfinished).

    Separate processes, like the audit sealer: gunicorn forks its workers, and a database
    connection must never be shared across a fork. The child inherits this process's
    environment (database and keys set up by ``env.setup``) and exits with its parent.
    """
    count = processes if processes is not None else int(os.environ.get("PUBCREDIT_TASK_WORKERS", "2"))
    args = argparse.Namespace(queues="*", interval=DEFAULT_INTERVAL, batch=False, quiet=True)
    command = _command(args, parent_pid=os.getpid())
    command[command.index("--processes") + 1] = str(max(1, count))
    # Own session: stopped once, by this process (atexit), not also by a terminal's Ctrl-C.
    # Our own interpreter, fixed arguments.
    return Supervised("task worker", lambda: subprocess.Popen(command, start_new_session=True))  # noqa: S603
