"""Benchmark a batch query of 100 000 codes end to end: the service, the worker, the results.

Uses the synthetic city of ``tests.bench.report_load`` (database ``pubcredit_bench_report``,
1 M records; generated on first use) and its credit agency, which holds authorisations from a
share of the organisations (so those reads are logged, as in production). The codes are a mix
(``--codes``, default 100 000): known organisations' USCCs and persons' resident ID numbers,
valid codes the platform does not know, invalid codes and repeated ones.

The run starts ``pubcredit worker --processes N`` (default 2, one per core) as the server would,
then times: the submission (``batch.parse_request`` + ``batch.submit_batch_query`` on the JSON
body, as the API calls them), the processing until the job is done (polling its row), and the
download of the results as JSON lines and as CSV. Figures go to ``var/bench/batch_query.json``.

    python -m tests.bench.batch_query [--codes 100000] [--processes 2] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.bench.common import ROOT, out_file, shown
from tests.bench.report_load import ensure_agency, setup_city

OUT_FILE = out_file("batch_query.json")
SEED = 40


def make_codes(total: int, rng: random.Random) -> tuple[list[str], dict[str, int]]:
    """75 % known subjects (every organisation, then persons), 15 % unknown valid codes, 8 % invalid,
    2 % repeats; shuffled."""
    from pubcredit.codes.synth import make_resident_id, make_uscc
    from pubcredit.subjects import pii
    from pubcredit.subjects.models import ORGANIZATION_KINDS, Subject, SubjectKind

    n_known, n_unknown, n_invalid = int(total * 0.75), int(total * 0.15), int(total * 0.08)
    n_repeat = total - n_known - n_unknown - n_invalid
    orgs = [c for c in Subject.objects.filter(kind__in=ORGANIZATION_KINDS).values_list("uscc", flat=True) if c]
    known = rng.sample(orgs, min(len(orgs), n_known))
    if len(known) < n_known:
        encrypted = (Subject.objects.filter(kind=SubjectKind.NATURAL_PERSON).order_by("id")
                     .values_list("resident_id_enc", flat=True)[: n_known - len(known)])
        known += [pii.decrypt_resident_id(bytes(e)) for e in encrypted]
    taken = set(known)
    unknown: list[str] = []
    while len(unknown) < n_unknown:  # distinct, and none of them known
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(15000))
        code = (make_uscc(rng, region_code="330110") if len(unknown) % 2 else
                make_resident_id(rng, region_code="330106", birth_date=born, sex="F"))
        if code not in taken:
            taken.add(code)
            unknown.append(code)
    invalid = [rng.choice([k[:-1] + ("0" if k[-1] != "0" else "1"), k[:10], "91330106MA2X" + "?" * 6, "", "N/A"])
               for k in rng.sample(known, n_invalid)]
    repeats = rng.sample(known, n_repeat)
    codes = known + unknown + invalid + repeats
    rng.shuffle(codes)
    return codes, {"known": len(known), "unknown_valid": n_unknown, "invalid": n_invalid, "repeated": n_repeat}


@contextlib.contextmanager
def workers(url: str, processes: int) -> Any:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="pubcredit.settings_test")
    exe = Path(sys.executable).with_name("pubcredit")
    proc = subprocess.Popen([str(exe), "worker", "--processes", str(processes), "--interval", "0.1", "--quiet"],  # noqa: S603
                            env=env, cwd=ROOT, start_new_session=True)
    try:
        time.sleep(3)  # let them start (as a server's workers would be, before any request)
        yield proc
    finally:
        # SIGTERM to the parent only: it stops its worker processes itself (a second SIGTERM from the
        # process group would make each worker abort its shutdown with a traceback).
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.batch_query", description=__doc__.split("\n\n")[0])
    parser.add_argument("--codes", type=int, default=100_000, help="codes in the batch (default 100000)")
    parser.add_argument("--processes", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--authorized", type=float, default=0.2, help="share of organisations that authorised "
                        "the agency (default 0.2)")
    parser.add_argument("--profile", action="store_true",
                        help="instead of the workers, run the job in this process under cProfile")
    args = parser.parse_args(argv)

    url = setup_city()
    from django.db import connection as db

    from tests.bench.settle import describe, settle

    settled = settle(db)  # what earlier benchmarks left the server to do would skew every figure
    print(describe(settled), flush=True)
    load_before = [round(x, 2) for x in os.getloadavg()]  # other work on the machine skews every figure
    _secret, agency_id, _codes = ensure_agency(share=args.authorized)
    from django.db import close_old_connections, connection

    from pubcredit.access.models import QueryLog
    from pubcredit.access.readers import Reader
    from pubcredit.reports import batch
    from pubcredit.reports.models import BatchQuery

    BatchQuery.objects.filter(agency_id=agency_id).delete()  # earlier runs' jobs and their stored answers
    codes, mix = make_codes(args.codes, random.Random(SEED))
    body = json.dumps({"codes": codes}).encode("utf-8")
    reader = Reader(kind="agency", name=f"agency:{agency_id}", agency_id=agency_id, channel="batch")
    logs_before = QueryLog.objects.filter(agency_id=agency_id, channel="batch").count()
    connection.close()
    print(f"{len(codes)} codes ({mix}), {len(body) / 1e6:.1f} MB of JSON; "
          f"{'profiling in-process' if args.profile else f'{args.processes} worker processes'} …", flush=True)

    ctx = contextlib.nullcontext() if args.profile else workers(url, args.processes)
    cpu_before = os.times()
    with ctx:
        started = time.perf_counter()
        job = batch.submit_batch_query(batch.parse_request(body, content_type="application/json"), reader=reader)
        submitted = time.perf_counter() - started
        if args.profile:
            import cProfile
            import pstats

            from pubcredit.reports import tasks

            prof = cProfile.Profile()
            prof.enable()
            for part in range(job.parts_total):
                tasks.run_batch_query_part.call(job.pk, part)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        last = -1
        while True:
            close_old_connections()
            state = BatchQuery.objects.defer("codes_sealed").get(pk=job.pk)
            if state.done != last:
                print(f"  {state.status} {state.done}/{state.total}  {time.perf_counter() - started:.1f} s", flush=True)
                last = state.done
            if state.status in ("done", "failed"):
                break
            time.sleep(0.2)
        total_s = time.perf_counter() - started
    cpu_after = os.times()  # the workers have exited and been waited for: their CPU time is counted
    worker_cpu = (cpu_after.children_user + cpu_after.children_system
                  - cpu_before.children_user - cpu_before.children_system)
    if state.status != "done":
        print(f"the job failed: {state.error}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    jsonl_bytes = sum(len(b) for b in batch.jsonl_results(state))
    jsonl_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    csv_bytes = sum(len(b) for b in batch.csv_results(state))
    csv_s = time.perf_counter() - t0
    logged = QueryLog.objects.filter(agency_id=agency_id, channel="batch").count() - logs_before
    with connection.cursor() as cur:
        cur.execute("SELECT coalesce(sum(length(data)), 0) FROM reports_batchquerychunk WHERE job_id = %s", [job.pk])
        stored = int((cur.fetchone() or (0,))[0])
    result: dict[str, Any] = {
        "codes": len(codes), "mix": mix, "worker_processes": None if args.profile else args.processes,
        "total_seconds": round(total_s, 2), "goal_seconds": 60, "met": total_s < 60,
        "submit_seconds": round(submitted, 2),
        "worker_cpu_seconds": None if args.profile else round(worker_cpu, 1),
        "processing_seconds": round((state.finished_at - state.started_at).total_seconds(), 2)
        if state.finished_at and state.started_at else None,
        "counts": {"found": state.found, "not_found": state.not_found, "invalid": state.invalid,
                   "duplicates": state.duplicates},
        "query_log_rows_written": logged,
        "results": {"jsonl_mb": round(jsonl_bytes / 1e6, 1), "jsonl_download_seconds": round(jsonl_s, 2),
                    "csv_mb": round(csv_bytes / 1e6, 1), "csv_download_seconds": round(csv_s, 2),
                    "stored_compressed_mb": round(stored / 1e6, 1)},
        "database": url.rsplit("@", 1)[-1], "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_before": load_before,
        "settle": settled,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(f"batch query of {len(codes)} codes: {total_s:.1f} s end to end (goal < 60 s); "
          f"written to {shown(OUT_FILE)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
