"""``pubcredit serve``: serve the platform with gunicorn (production-grade WSGI server)."""

from __future__ import annotations

import argparse
import os
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("serve", help="serve the portal, API and back-office", description=__doc__)
    add_server_arguments(p)
    p.set_defaults(func=run)


def _whole(low: int, high: int) -> Any:
    """An argparse type: a whole number from ``low`` to ``high`` (gunicorn met a port of 99999,
    or no thread per worker, with a traceback or a server that never answered)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"应为整数，实际为 {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"应在 {low} 到 {high} 之间，实际为 {value}")
        return value

    return parse


def _host(text: str) -> str:
    """An argparse type: an address this machine can resolve (else gunicorn retried and failed)."""
    import socket

    try:
        socket.getaddrinfo(text, None)
    except (OSError, UnicodeError) as exc:
        raise argparse.ArgumentTypeError(f"无法解析的地址 {text!r}（{exc}）") from None
    return text


def add_server_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_whole(1, 65535), default=8000, help="port (default 8000)")
    p.add_argument("--workers", type=_whole(1, 256), default=default_workers(),
                   help=f"worker processes (default CPUs + 1, here {default_workers()})")
    p.add_argument("--threads", type=_whole(1, 256), default=DEFAULT_THREADS,
                   help=f"threads per worker (default {DEFAULT_THREADS})")


# A request is mostly Python holding the GIL, so CPU parallelism comes from processes: one per core
# plus one to fill the gaps while others wait on PostgreSQL; two threads each overlap a database
# round trip without a convoy on the GIL. Measured on 2 cores (tests.bench.report_load): 3 × 2
# serves ~1.5× the reports per second of 2 × 4 at the same bare throughput.
DEFAULT_THREADS = 2


def default_workers() -> int:
    return (os.cpu_count() or 1) + 1


def collect_static() -> None:
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


# Python's cyclic garbage collector, tuned for a server whose requests build many short-lived
# containers (a credit report of a few dozen records makes thousands). With the default first
# threshold (700) a worker collected about every other report, and each full collection walked
# the ~150,000 objects of the loaded application. Those are frozen in the master before the fork
# (never collected, and their pages stay shared between workers), and a worker collects its
# young objects every 20,000 allocations: garbage collection fell from 0.15 to 0.03 ms per report
# (measured in-process on the bench city).
WORKER_GC_THRESHOLDS = (20_000, 50, 100)


def load_and_freeze() -> None:
    """In the master, before forking: import everything a request uses (URL configuration, views,
    the API, WeasyPrint for the PDFs rendered while a request waits), then freeze what is loaded
    out of the collector's reach."""
    import gc

    from django.urls import get_resolver

    from pubcredit.reports import pdf, signing

    signing.check_configuration()  # a bad report key stops the server now, not at the first verification
    get_resolver().url_patterns  # noqa: B018 - imports every view and builds the API
    pdf.preload()  # once, shared by every worker (each paid ≈ 1 s and its own copy on its first PDF)
    gc.collect()
    gc.freeze()


def _in_worker(server: Any, worker: Any) -> None:
    """gunicorn's post_fork hook: a worker does not stop the embedded database at its exit, and
    collects garbage less often (``WORKER_GC_THRESHOLDS``)."""
    import gc

    from pubcredit import devdb

    devdb.forget_embedded_server()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


def gunicorn_options(*, host: str, port: int, workers: int, threads: int) -> dict[str, Any]:
    """gunicorn's settings for ``pubcredit serve``.

    A worker takes a connection only when one of its threads is free (``worker_connections`` =
    ``threads``), and answers one request per connection (no keep-alive): a request waits in the
    kernel's queue for the first free worker, whichever it is. gunicorn's gthread worker otherwise
    accepts every connection it can while its threads are busy and keeps each kept-alive
    connection to itself: measured with 32 keep-alive clients on 3 workers, all 32 connections sat
    on one worker in one run and 18/14/6 in another, so some requests queued behind a busy worker
    while another one idled (report p99 213-265 ms against 128-167 ms balanced, at about the same
    throughput; docs/reports.md). The platform is served behind a reverse proxy (TLS, client
    addresses, slow clients: docs/security.md), which speaks to it one request per connection
    anyway (nginx's default upstream protocol).
    """
    return {
        "bind": f"{host}:{port}", "workers": workers, "threads": threads,
        "worker_class": "gthread", "worker_connections": threads, "keepalive": 0,
        "accesslog": None, "errorlog": "-", "loglevel": "warning",
        "graceful_timeout": 5, "timeout": 120, "post_fork": _in_worker,
    }


def serve_forever(*, host: str, port: int, workers: int, threads: int) -> None:
    """Run gunicorn in this process until interrupted (Ctrl-C stops it cleanly)."""
    from django.db import connections
    from gunicorn.app.base import BaseApplication

    from pubcredit.wsgi import application

    connections.close_all()  # never share a database connection across the workers' fork
    from pubcredit.cli.audit import start_background_sealer

    start_background_sealer()  # chains and signs the audit log while the server runs (restarted if it ends)
    from pubcredit.cli.worker import start_background_worker

    start_background_worker()  # background tasks (batch queries, record files), restarted if it ends
    load_and_freeze()

    class _App(BaseApplication):
        def load_config(self) -> None:
            for key, value in gunicorn_options(host=host, port=port, workers=workers, threads=threads).items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    _App().run()


def remind_schedule() -> None:
    """Say at start (in the service's log) when a year's holiday schedule is due to be loaded.
    A database that cannot be read yet does not stop the server: the back-office index says it too."""
    import sys

    from django.db import DatabaseError

    from pubcredit.workdays.services import schedule_reminder

    try:
        reminder = schedule_reminder()
    except DatabaseError:
        return
    if reminder:
        print(f"pubcredit: {reminder}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    collect_static()
    remind_schedule()
    print(f"pubcredit: serving on http://{args.host}:{args.port}/  (Ctrl-C to stop)", flush=True)
    serve_forever(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return 0
