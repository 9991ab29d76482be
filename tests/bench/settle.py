"""Quiet the PostgreSQL server before a timed benchmark, so that one benchmark is not measured
while the server still works off the one before it.

``make bench`` runs the benchmarks back to back on one server. The ingest and audit benchmarks
each leave about a million fresh rows behind, and with them work the server does later on its
own: autovacuum visits the new tables within a minute or so (1 M inserted rows cross its insert
threshold), and the checkpointer writes out gigabytes of dirty pages. On two cores that work took
a core from the report benchmark that followed (load average 3.6 at its start, p99 183 ms against
102–132 ms when run alone). So:

* ``vacuum_scratch(connection)``: a benchmark that wrote its scratch database vacuums and analyses
  it itself once its figures are taken (outside the measured time): autovacuum finds nothing left
  to do there later.
* ``settle(connection)``: a benchmark that measures throughput first asks for a checkpoint (when
  the role may: superuser or ``pg_checkpoint``) and waits, up to ``timeout`` seconds, for running
  autovacuum workers of any database on the server to finish. What it did and waited is returned
  for the benchmark's figures.
"""

from __future__ import annotations

import time
from typing import Any

AUTOVACUUM_WORKERS_SQL = "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"


def vacuum_scratch(connection: Any) -> float:
    """``VACUUM (ANALYZE)`` the scratch database ``connection`` points at; returns the seconds."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    return time.perf_counter() - started


def settle(connection: Any, *, timeout: float | None = None, poll: float = 1.0) -> dict[str, Any]:
    """Checkpoint, then wait for the server's autovacuum workers (at most ``timeout`` seconds; by
    default ``BENCH_SETTLE_SECONDS``, else 180: ``tests.bench.common.settle_seconds``).

    Returns ``{"checkpoint_seconds": s or None (not permitted), "autovacuum_wait_seconds": s,
    "autovacuum_workers_left": n}``. Never raises for a refused checkpoint: the benchmark then
    runs as before, and its figures say so.
    """
    from django.db import DatabaseError, transaction

    from tests.bench.common import settle_seconds

    timeout = settle_seconds() if timeout is None else timeout
    figures: dict[str, Any] = {}
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
        figures["checkpoint_seconds"] = round(time.perf_counter() - started, 2)
    except DatabaseError:
        figures["checkpoint_seconds"] = None  # not permitted for this role
    started = time.perf_counter()
    workers = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(AUTOVACUUM_WORKERS_SQL)
            workers = int((cursor.fetchone() or (0,))[0])
        if workers == 0 or time.perf_counter() - started >= timeout:
            break
        time.sleep(poll)
    figures["autovacuum_wait_seconds"] = round(time.perf_counter() - started, 1)
    figures["autovacuum_workers_left"] = workers
    return figures


def describe(figures: dict[str, Any]) -> str:
    """One line for the benchmark's output."""
    checkpoint = figures.get("checkpoint_seconds")
    done = f"checkpoint {checkpoint:.1f} s" if checkpoint is not None else "checkpoint not permitted"
    left = figures.get("autovacuum_workers_left") or 0
    waited = f"waited {figures.get('autovacuum_wait_seconds', 0):.0f} s for autovacuum"
    return f"settling the server: {done}, {waited}" + (f" ({left} workers still running)" if left else "")
