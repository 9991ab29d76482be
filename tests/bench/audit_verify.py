"""Benchmark ``pubcredit audit verify``: fill, seal and verify an audit chain of N entries.

A scratch database ``pubcredit_bench_audit`` (dropped and re-created unless ``--reuse``) on the
server of DATABASE_URL, else the one the test settings find (127.0.0.1:5432, else embedded).
It inserts N synthetic entries with one INSERT … SELECT generate_series per block, seals them
with ``audit.services.seal`` (signing a checkpoint every ``--checkpoint-every`` entries),
vacuums, then times ``audit.queries.verify`` — the same function the command runs — and writes
the figures to ``var/bench/audit_verify.json``.

    python -m tests.bench.audit_verify [--rows N] [--batch B] [--checkpoint-every C] [--reuse]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from typing import Any

from tests.bench.common import db_name, out_file, shown

BENCH_DB = db_name("_audit")
OUT_FILE = out_file("audit_verify.json")
INSERT_BLOCK = 100_000

_INSERT = """
INSERT INTO audit_auditentry (at, actor, actor_role, event, object_type, object_id, subject_id, channel, data)
SELECT timestamptz '2026-01-01 00:00:00+08' + g * interval '25 milliseconds',
       CASE WHEN g %% 10 = 0 THEN 'admin:operator' || (g %% 7)
            ELSE 'dept:hz-' || (ARRAY['scjgj', 'swj', 'rsj', 'zjj', 'gaj'])[1 + g %% 5] END,
       CASE WHEN g %% 10 = 0 THEN 'operator' ELSE 'officer' END,
       CASE WHEN g %% 50 = 0 THEN 'access:login' WHEN g %% 10 = 0 THEN 'collection:batch:completed'
            ELSE 'access:query' END,
       'subject', (g %% 200000)::text, g %% 200000,
       (ARRAY['web', 'api', 'cli', 'admin', 'task'])[1 + g %% 5],
       jsonb_build_object('purpose', '行政审批', 'matter', 'M-' || (g %% 97),
                          'levels', jsonb_build_array('public', 'authorised'),
                          'entries', jsonb_build_array('penalty-scjg', 'licensing-scjg'))
FROM generate_series(%s::bigint, %s::bigint) AS g
"""


def _setup_django(*, reuse: bool) -> str:
    """Point Django (test settings: fixed test keys) at the scratch database; return its URL."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "pubcredit.settings_test"
    import psycopg

    from pubcredit import devdb

    base = os.environ.get("DATABASE_URL") or devdb.resolve(database="pubcredit", allow_local=True)[0]
    url = devdb.with_database(base, BENCH_DB)
    with psycopg.connect(devdb.with_database(base, "postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if not (reuse and exists):
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return url


def _fill(rows: int) -> float:
    from django.db import connection, transaction
    from tqdm import tqdm

    started = time.monotonic()
    with tqdm(total=rows, unit="entry", desc="inserting") as bar:
        for first in range(1, rows + 1, INSERT_BLOCK):
            last = min(rows, first + INSERT_BLOCK - 1)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(_INSERT, [first, last])
            bar.update(last - first + 1)
    return time.monotonic() - started


def _seal(rows: int, batch: int, checkpoint_every: int) -> tuple[float, int]:
    from tqdm import tqdm

    from pubcredit.audit import queries, services

    started = time.monotonic()
    since_checkpoint = 0
    with tqdm(total=rows, unit="entry", desc="sealing") as bar:
        while True:
            done = services.seal(batch, wait=True)
            bar.update(done)
            since_checkpoint += done
            if since_checkpoint >= checkpoint_every or (done < batch and since_checkpoint):
                services.checkpoint()
                since_checkpoint = 0
            if done < batch:
                break
    return time.monotonic() - started, len(queries.checkpoints())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.audit_verify", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="audit entries (default 1000000)")
    parser.add_argument("--batch", type=int, default=10_000, help="entries sealed per transaction (default 10000)")
    parser.add_argument("--checkpoint-every", type=int, default=100_000, help="default 100000")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the scratch database if it already holds exactly N sealed entries")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be positive")

    url = _setup_django(reuse=args.reuse)
    from django.db import connection
    from tqdm import tqdm

    from pubcredit.audit import queries

    existing = queries.head()
    insert_s = seal_s = None
    if existing is not None and existing[0] == args.rows and args.reuse:
        print(f"reusing {args.rows} sealed entries in {BENCH_DB}", flush=True)
        checkpoints = len(queries.checkpoints())
    elif existing is not None or queries.unsealed_count():
        print(f"{BENCH_DB} holds another chain; run without --reuse", file=sys.stderr)
        return 2
    else:
        insert_s = _fill(args.rows)
        seal_s, checkpoints = _seal(args.rows, args.batch, args.checkpoint_every)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) audit_auditentry")  # as autovacuum would after the sealing updates

    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), pg_size_pretty(pg_total_relation_size('audit_auditentry'))")
        server, size = cursor.fetchone() or ("?", "?")
    bar = tqdm(total=args.rows, unit="entry", desc="verifying")

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    report = queries.verify(progress=progress)
    bar.close()
    rate = report.entries / report.seconds if report.seconds else 0.0
    result: dict[str, Any] = {
        "rows": args.rows,
        "ok": report.ok,
        "summary": report.summary(),
        "verify_seconds": round(report.seconds, 2),
        "verify_rows_per_second": round(rate),
        "checkpoints": checkpoints,
        "insert_seconds": round(insert_s, 2) if insert_s is not None else None,
        "seal_seconds": round(seal_s, 2) if seal_s is not None else None,
        "seal_rows_per_second": round(args.rows / seal_s) if seal_s else None,
        "table_size": size,
        "database": url.rsplit("@", 1)[-1],
        "postgres": server,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(report.summary())
    print(f"verify: {report.entries} entries in {report.seconds:.1f} s = {rate:,.0f} entries/s"
          + (f"; insert {insert_s:.1f} s, seal {seal_s:.1f} s" if insert_s is not None and seal_s else ""))
    print(f"written to {shown(OUT_FILE)}")
    return 0 if report.ok else 2


if __name__ == "__main__":
    sys.exit(main())
