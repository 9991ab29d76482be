"""Benchmark the credit report JSON under load, next to a bare look-up endpoint, in one run.

A scratch database ``pubcredit_bench_report`` on the server of DATABASE_URL (else the one the
test settings find) holds the synthetic city of the issue: ``CityPlan(orgs=20000,
persons=100000, records=1000000, seed=1)`` — generated once, reused by later runs (and by
``tests.bench.batch_query``). The run then

1. makes a credit agency with an API token and authorisations from a share of the
   organisations (``--authorized``, default 0.2), so that those reads are non-public and
   logged (query log + audit entry, as in production);
2. starts ``pubcredit serve`` (gunicorn, the audit sealer and the batch worker beside it) on
   127.0.0.1 and a free port, with the bench settings ``tests.bench.report_settings``: the
   test keys, rate limiting OFF, and one extra URL ``/bench/bare/<code>`` (``tests.bench.report_urls``)
   that runs the same subject look-up with none of our logic;
3. drives both with the same closed-loop load generator on loopback: ``--clients`` (32)
   concurrent clients asking for keep-alive (the server answers one request per connection, see
   ``pubcredit.cli.serve.gunicorn_options``; a request's time includes opening its connection),
   each for ``--seconds`` after a warm-up, on random
   organisation codes (of all 20 000) — (b) ``GET /bench/bare/{code}`` first, then (a)
   ``GET /api/v1/subjects/{code}/report`` with the agency's token;
4. prints requests/s, p50 and p99 of both and the ratio (goal: ≥ 0.4 of bare, p99 < 100 ms),
   and writes them to ``var/bench/report_load.json``.

    python -m tests.bench.report_load [--clients 32] [--seconds 20] [--workers CPUs+1] [--threads 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.common import ROOT, city_plan, db_name, out_file, shown

BENCH_DB = db_name("_report")
OUT_FILE = out_file("report_load.json")
PLAN = city_plan()
AGENCY_NAME = "杭州基准测试征信服务有限公司"


# --- the scratch city ------------------------------------------------------------------------

def scratch_database(name: str) -> str:
    """Point Django (test settings: fixed test keys) at the scratch database ``name`` on the server
    of DATABASE_URL (else the one the test settings find), created if missing, and migrate it.
    Returns its URL."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "pubcredit.settings_test"
    import psycopg

    from pubcredit import devdb

    base = os.environ.get("DATABASE_URL") or devdb.resolve(database="pubcredit", allow_local=True)[0]
    url = devdb.with_database(base, name)
    with psycopg.connect(devdb.with_database(base, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    os.environ["DATABASE_URL"] = url
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    return url


def setup_city(*, plan: dict[str, int] | None = None) -> str:
    """The bench database with the synthetic city, generated unless it is already there (see
    ``scratch_database``). Returns the database URL."""
    url = scratch_database(BENCH_DB)
    from pubcredit.catalog.services import load_initial_catalog
    from pubcredit.synthetic import city

    load_initial_catalog(actor="bench")
    if city.city_exists():
        print(f"reusing the synthetic city in {BENCH_DB}", flush=True)
    else:
        wanted = plan or PLAN
        print(f"generating the synthetic city {wanted} into {BENCH_DB} (minutes) …", flush=True)
        stats = city.generate(city.CityPlan(**wanted), progress=True)
        print(f"generated {stats}", flush=True)
    return url


def ensure_agency(*, share: float, seed: int = 7) -> tuple[str, int, list[str]]:
    """A credit agency with a fresh API token and valid authorisations from ``share`` of the
    organisations (kept between runs). Returns (token secret, agency id, organisation codes)."""
    from django.db import transaction
    from django.utils import timezone

    from pubcredit.access import tokens
    from pubcredit.access.models import Authorization
    from pubcredit.codes.synth import make_uscc
    from pubcredit.subjects import services as subject_services
    from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject

    agency = Subject.objects.filter(name=AGENCY_NAME).first()
    if agency is None:
        agency = subject_services.register_organization(
            kind="legal_person", name=AGENCY_NAME, uscc=make_uscc(random.Random(seed), region_code="330106"),
            verified=True, actor="bench")
    codes = sorted(c for c in Subject.objects.filter(kind__in=ORGANIZATION_KINDS).exclude(pk=agency.pk)
                   .values_list("uscc", flat=True) if c)
    wanted = int(len(codes) * share)
    today = timezone.localdate()
    have = Authorization.objects.filter(grantee=agency, revoked_at__isnull=True, valid_from__lte=today,
                                        valid_until__gte=today).count()
    if have < wanted:
        # Bulk rows (not the service one by one): 4000 grants are set-up, not what is measured.
        rng = random.Random(seed)
        chosen = rng.sample(codes, wanted)
        ids = dict(Subject.objects.filter(uscc__in=chosen).values_list("uscc", "id"))
        with transaction.atomic():
            Authorization.objects.filter(grantee=agency).delete()
            Authorization.objects.bulk_create(
                Authorization(subject_id=ids[c], grantee=agency, purpose="授信审查（基准测试）", valid_from=today,
                              valid_until=today + timedelta(days=365), created_by="bench") for c in chosen)
    issued = tokens.create_agency_token(agency, name="bench", actor="bench")
    return issued.secret, agency.pk, codes


# --- the server ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(url: str, *, port: int, workers: int, threads: int, probe: str) -> Iterator[subprocess.Popen[bytes]]:
    """``pubcredit serve`` with the bench settings on 127.0.0.1:port, stopped at the end."""
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="tests.bench.report_settings",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), PUBCREDIT_RATE_LIMIT="0")
    exe = Path(sys.executable).with_name("pubcredit")
    command = [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "--threads", str(threads)]
    proc = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603 - our own command
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"pubcredit serve exited with {proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", probe)
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the bench server did not come up in 60 s") from None
                time.sleep(0.3)
        yield proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # gunicorn, its workers, the sealer and the worker
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# --- the load generator ----------------------------------------------------------------------
# asyncio on raw streams with pre-built requests: a few tens of microseconds of client CPU per
# request, so that the client (on the same two cores) disturbs the server as little as it can.

@dataclass
class Run:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    body_bytes: int = 0  # response bodies received in the window
    client_cpu_s: float = 0.0  # CPU time of this load generator over the whole run (warm-up included)
    client_requests: int = 0  # requests it sent over the whole run
    server_cpu_s: float = 0.0  # CPU time of the server's processes (gunicorn, sealer, worker) over the run
    database_cpu_s: float = 0.0  # CPU time of the PostgreSQL backends serving the bench database over the run

    def figures(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

        return {"requests": len(lat), "seconds": round(self.seconds, 2),
                "requests_per_second": round(len(lat) / self.seconds, 1) if self.seconds else 0.0,
                "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99),
                "mean_ms": round(statistics.fmean(lat) * 1000, 1) if lat else 0.0,
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "errors": self.errors,
                "mean_body_bytes": round(self.body_bytes / len(lat)) if lat else 0,
                "client_cpu_ms_per_request": (round(self.client_cpu_s / self.client_requests * 1000, 3)
                                              if self.client_requests else 0.0),
                "server_cpu_ms_per_request": (round(self.server_cpu_s / self.client_requests * 1000, 3)
                                              if self.client_requests else 0.0),
                "database_cpu_ms_per_request": (round(self.database_cpu_s / self.client_requests * 1000, 3)
                                                if self.client_requests else 0.0)}


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
                    ) -> tuple[int, int, bool]:
    """Send ``request``, read the answer: (status, body length, whether the server keeps the connection)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    keep = True
    for line in head.split(b"\r\n")[1:]:
        name = line[:16].lower()
        if name.startswith(b"content-length:"):
            length = int(line[15:])
        elif name.startswith(b"connection:") and b"close" in line[11:].lower():
            keep = False
    if length:
        await reader.readexactly(length)
    return status, length, keep


async def _load(name: str, port: int, paths: list[str], *, headers: dict[str, str], clients: int, seconds: float,
                warmup: float, max_requests: int) -> Run:
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    requests = [f"GET {p} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{extra}\r\n".encode() for p in paths]
    run = Run(name)
    loop = asyncio.get_running_loop()
    start_at = loop.time() + warmup
    stop_at = start_at + seconds
    budget = [max_requests]

    async def client(k: int) -> None:
        rng = random.Random(k)
        conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while loop.time() < stop_at and budget[0] > 0:
            budget[0] -= 1
            try:
                t0 = loop.time()  # a connection opened for this request counts in its time
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                status, length, keep = await asyncio.wait_for(_exchange(*conn, rng.choice(requests)), timeout=30)
                t1 = loop.time()
                run.client_requests += 1
                if not keep:  # the server closes it after this answer (RFC 9112 section 9.6)
                    conn[1].close()
                    conn = None
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ValueError):
                run.errors += 1
                if conn is not None:
                    conn[1].close()
                conn = None
                continue
            if start_at <= t0 and t1 <= stop_at:
                run.latencies.append(t1 - t0)
                run.body_bytes += length
                run.statuses[status] = run.statuses.get(status, 0) + 1
        if conn is not None:
            conn[1].close()

    cpu = time.process_time()
    await asyncio.gather(*(client(k) for k in range(clients)))
    run.client_cpu_s = time.process_time() - cpu
    run.seconds = seconds
    return run


def _cpu_of(pids: set[int] | None = None, *, session: int | None = None) -> dict[int, float]:
    """CPU seconds (user + system) used so far by live processes, by pid: those in ``pids`` or of
    ``session`` (Linux /proc; nothing elsewhere)."""
    out: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        pid = int(stat.parent.name)
        if pids is not None and pid not in pids:
            continue
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if session is None or int(fields[3]) == session:  # after "(comm)": state ppid pgrp session … utime stime
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def session_cpu(session: int) -> float:
    """CPU seconds used so far by the live processes of a session."""
    return sum(_cpu_of(session=session).values())


def database_cpu(url: str) -> dict[int, float]:
    """CPU seconds used so far by each backend connected to the bench database (a local server only)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pids = {int(r[0]) for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")}
    return _cpu_of(pids)


def cpu_since(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def load(name: str, port: int, paths: list[str], *, headers: dict[str, str], clients: int, seconds: float,
         warmup: float, max_requests: int) -> Run:
    """Closed loop: ``clients`` keep-alive connections, each sending the next request as soon as the
    last is answered, for ``warmup`` seconds (not counted) then ``seconds`` (counted: requests that
    started and ended inside the window). Bounded in time and by ``max_requests``."""
    return asyncio.run(_load(name, port, paths, headers=headers, clients=clients, seconds=seconds, warmup=warmup,
                             max_requests=max_requests))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.report_load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per endpoint (default 20)")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first (default 3)")
    from pubcredit.cli.serve import DEFAULT_THREADS, default_workers

    parser.add_argument("--workers", type=int, default=default_workers(),
                        help="gunicorn workers (default as pubcredit serve: CPUs + 1)")
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                        help=f"threads per worker (default as pubcredit serve: {DEFAULT_THREADS})")
    parser.add_argument("--authorized", type=float, default=0.2,
                        help="share of organisations that authorised the agency (default 0.2)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="hard cap per endpoint")
    parser.add_argument("--prepare-only", action="store_true", help="build the city and exit")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.seconds <= 0 or not 0 <= args.authorized <= 1:
        parser.error("--clients and --seconds must be positive, --authorized in [0, 1]")

    url = setup_city()
    if args.prepare_only:
        return 0
    from django.db import connection as db

    from tests.bench.settle import describe, settle

    settled = settle(db)  # what earlier benchmarks left the server to do would skew every figure
    print(describe(settled), flush=True)
    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every figure
    secret, agency_id, codes = ensure_agency(share=args.authorized)
    from django.db import connection
    from django.utils import timezone

    from pubcredit.access.models import QueryLog
    from pubcredit.reports.models import IssuedReport

    with connection.cursor() as cur:
        # A report is issued once per content and day: a second run on the same day would find most
        # of its reports issued already and write less. In this scratch database only, today's
        # issued reports go first, so every run does the writes of a first read of the day.
        today = timezone.localdate()
        # Issued reports are append-only (reports/0010): cleared with the triggers off, here only.
        cur.execute("SET session_replication_role = replica")
        for table in ("reports_reportpdf", "reports_pdfrender"):  # what refers to an issued report
            cur.execute(f"DELETE FROM {table} WHERE report_id IN "
                        "(SELECT id FROM reports_issuedreport WHERE as_of = %s)", [today])
        cur.execute("DELETE FROM reports_issuedreport WHERE as_of = %s", [today])
        cleared = cur.rowcount
        cur.execute("SET session_replication_role = origin")
        cur.execute("VACUUM ANALYZE")
        cur.execute("SELECT count(*) FROM collection_record")
        records = int((cur.fetchone() or (0,))[0])
    logs_before = QueryLog.objects.filter(agency_id=agency_id).count()
    issued_before = IssuedReport.objects.count()
    connection.close()
    print(f"cleared {cleared} reports issued earlier today (scratch database)", flush=True)

    # Every organisation: the same report is issued once a day, so repeats would flatter the figures.
    report_paths = [f"/api/v1/subjects/{c}/report" for c in codes]
    bare_paths = [f"/bench/bare/{c}" for c in codes]
    port = free_port()
    common = {"clients": args.clients, "seconds": args.seconds, "warmup": args.warmup,
              "max_requests": args.max_requests}
    print(f"serving on 127.0.0.1:{port} ({args.workers} workers × {args.threads} threads); "
          f"{args.clients} clients, {args.seconds:g} s each …", flush=True)
    with server(url, port=port, workers=args.workers, threads=args.threads, probe=bare_paths[0]) as proc:
        cpu, db = session_cpu(proc.pid), database_cpu(url)
        bare = load("bare", port, bare_paths, headers={}, **common)
        bare.server_cpu_s, bare.database_cpu_s = session_cpu(proc.pid) - cpu, cpu_since(db, database_cpu(url))
        cpu, db = session_cpu(proc.pid), database_cpu(url)
        print(f"(b) bare:   {bare.figures()}", flush=True)
        report = load("report", port, report_paths, headers={"Authorization": f"Bearer {secret}"}, **common)
        report.server_cpu_s, report.database_cpu_s = session_cpu(proc.pid) - cpu, cpu_since(db, database_cpu(url))
        print(f"(a) report: {report.figures()}", flush=True)
    logged = QueryLog.objects.filter(agency_id=agency_id).count() - logs_before
    issued = IssuedReport.objects.count() - issued_before
    a, b = report.figures(), bare.figures()
    ratio = a["requests_per_second"] / b["requests_per_second"] if b["requests_per_second"] else 0.0
    # CPU per request, all three parties: steadier than throughput on a shared 2-core machine, and what
    # bounds the throughput ratio when the cores are saturated (bare's CPU ÷ the report's).
    cpu = {k: round(sum(d[f"{p}_cpu_ms_per_request"] or 0.0 for p in ("server", "database", "client")), 3)
           for k, d in (("report", a), ("bare", b))}
    cpu_ratio = cpu["bare"] / cpu["report"] if cpu["report"] else 0.0
    result: dict[str, Any] = {
        "report": a, "bare": b, "ratio": round(ratio, 3),
        "cpu_ms_per_request": cpu, "cpu_ratio": round(cpu_ratio, 3),
        "goal": {"ratio_at_least": 0.4, "p99_ms_below": 100},
        "met": {"ratio": ratio >= 0.4, "p99": a["p99_ms"] < 100},
        "query_log_rows_written": logged, "reports_issued": issued, "cleared_before_run": cleared,
        "authorized_share": args.authorized, "clients": args.clients,
        "server": {"workers": args.workers, "threads": args.threads, "worker_class": "gthread"},
        "city": {**PLAN, "records_in_db": records}, "database": url.rsplit("@", 1)[-1],
        "python": platform.python_version(), "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_before": load_before,
        "settle": settled,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"report {a['requests_per_second']} req/s (p50 {a['p50_ms']} ms, p99 {a['p99_ms']} ms) vs bare "
          f"{b['requests_per_second']} req/s (p50 {b['p50_ms']} ms, p99 {b['p99_ms']} ms): ratio {ratio:.2f} "
          f"(goal ≥ 0.4, p99 < 100 ms); {logged} query-log rows, {issued} reports issued")
    print(f"CPU per request (server + PostgreSQL + load generator): report {cpu['report']} ms, bare {cpu['bare']} ms, "
          f"ratio {cpu_ratio:.2f}")
    print(f"written to {shown(OUT_FILE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
