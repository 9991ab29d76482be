"""``make bench``: raw PostgreSQL COPY versus the full collection path, on the same synthetic penalties.

One run, one server: a scratch database ``pubcredit_bench`` (or ``$BENCH_DB``; dropped and
re-created) on the server of DATABASE_URL, else the one the test settings find. It generates N synthetic penalty
rows of entry ``penalty-scjg`` (valid USCCs; about 20 % of rows name subjects the platform does
not know yet) into ``var/bench/``, then times

(a) raw COPY of that CSV into a bare table with the same columns (all text, no index), and
(b) ``submit_batch(open_rows(file))``: decoding, validation, staging, subjects, versioned records;

prints both rates and their ratio and writes them to ``var/bench/ingest.json``. The goal is a
ratio of at least 0.25.

    python -m tests.bench.run [--rows N] [--profile] [--resend]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from tests.bench.common import db_name, out_file, shown

BENCH_DB = os.environ.get("BENCH_DB") or db_name()
SEED = 20261125
FACTS = ["经查，当事人在经营场所销售超过保质期的食品", "经查，当事人未按规定配备消防设施、器材",
         "经查，当事人发布的广告中含有虚假内容", "经查，当事人未明码标价",
         "经查，当事人未取得相应许可擅自从事经营活动", "经查，当事人生产、销售不符合保障人体健康的国家标准的产品"]
LAWS = ["《中华人民共和国食品安全法》第一百二十四条", "《中华人民共和国消防法》第六十条",
        "《中华人民共和国广告法》第五十五条",
        "《中华人民共和国价格法》第四十二条", "《中华人民共和国产品质量法》第四十九条"]
WORDS = "恒信达华嘉瑞鑫盛德安和泰卓远博正新宏丰源锦江杭钱湖越之联创通海云启明"
TRADES = ["科技", "网络科技", "贸易", "餐饮管理", "建筑工程", "物流", "电子商务", "文化传媒", "食品", "医药"]
COLUMNS = ["CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_XDR_GSZC", "CF_XDR_ZZJG", "CF_XDR_SWDJ", "CF_XDR_SYDW",
           "CF_XDR_SHZZ", "CF_FRDB", "CF_FR_ZJLX", "CF_FR_ZJHM", "CF_XDR_ZJLX", "CF_XDR_ZJHM", "CF_WSH", "CF_WFXW",
           "CF_SY", "CF_YJ", "CF_CFLB", "CF_AJCXLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX", "CF_JDRQ",
           "CF_YXQ", "CF_GSJZQ", "CF_CFJG", "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM", "BZ"]
OUT_DIR = out_file("ingest.json").parent


def _setup_django() -> str:
    """Point Django at a fresh scratch database on the test server; return its URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pubcredit.settings_test")
    from pubcredit import devdb

    base = os.environ.get("DATABASE_URL") or devdb.resolve(database="pubcredit", allow_local=True)[0]
    url = devdb.with_database(base, BENCH_DB)
    import psycopg

    with psycopg.connect(devdb.with_database(base, "postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from pubcredit.catalog import services as catalog_services

    catalog_services.load_initial_catalog(actor="bench")
    return url


def _name(rng: random.Random, i: int) -> str:
    return f"杭州{''.join(rng.sample(WORDS, 2))}{rng.choice(TRADES)}有限公司{i}"


def generate(path: Path, rows: int) -> list[tuple[str, str]]:
    """Write the synthetic CSV; return the (USCC, name) of the subjects to register beforehand."""
    from pubcredit.codes.synth import make_uscc

    rng = random.Random(SEED)
    authority = make_uscc(rng, region_code="330100", department="1", org_type="1")
    known_count = max(1, rows // 4)
    known = [(make_uscc(rng, region_code=rng.choice(["330102", "330105", "330106", "330108", "330110"])),
              _name(rng, i)) for i in range(known_count)]
    today = date.today()  # noqa: DTZ011 - synthetic decision dates before the machine's today
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    unknown_seq = 0
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for i in range(rows):
            if rng.random() < 0.2:
                unknown_seq += 1
                code, name = make_uscc(rng, region_code="330109"), _name(rng, known_count + unknown_seq)
            else:
                code, name = known[rng.randrange(known_count)]
            decided = today - timedelta(days=rng.randrange(30, 5 * 365))
            fine = rng.lognormvariate(-0.7, 1.2)
            category = "02" if rng.random() < 0.8 else "01"
            row = {
                "CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": code, "CF_FRDB": "王某",
                "CF_WSH": f"杭市监罚〔{decided.year}〕{i + 1}号", "CF_WFXW": "违反" + rng.choice(LAWS),
                "CF_SY": rng.choice(FACTS), "CF_YJ": rng.choice(LAWS), "CF_CFLB": category,
                "CF_AJCXLB": "02", "CF_NR": "罚款" if category == "02" else "警告",
                "CF_NR_FK": f"{fine:.4f}" if category == "02" else "", "CF_JDRQ": decided.isoformat(),
                "CF_YXQ": (decided + timedelta(days=365)).isoformat(), "CF_CFJG": "杭州市市场监督管理局",
                "CF_CFJGDM": authority, "CF_SJLY": "杭州市市场监督管理局", "CF_SJLYDM": authority,
            }
            writer.writerow([row.get(c, "") for c in COLUMNS])
    tmp.replace(path)
    return known


def raw_copy(path: Path) -> float:
    """Seconds to COPY the CSV into a bare all-text table (the baseline)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw")
        cur.execute(f"CREATE TABLE bench_raw ({', '.join(f'{c} text' for c in COLUMNS)})")
    started = time.perf_counter()
    with connection.cursor() as cur, path.open("rb") as fh, \
            cur.cursor.copy("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
        while block := fh.read(1 << 20):
            copy.write(block)
    seconds = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_raw")
    return seconds


def _backend_cpu() -> float | None:
    """CPU seconds used so far by this connection's PostgreSQL backend (None unless the server is local)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _memory_mb(field: str) -> float | None:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in MB (Linux; None elsewhere)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)  # kB
    except OSError:
        return None
    return None


def _reset_peak_memory() -> None:
    """Start ``VmHWM`` again from the current RSS (Linux ``clear_refs`` 5), so that the peak measured
    is the batch's, not the set-up's."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def ours(path: Path, *, profile: bool) -> tuple[float, Any, dict[str, float]]:
    """Seconds of our path, the batch, and the CPU seconds it took here and in the database backend."""
    from pubcredit.catalog import queries as catalog_queries
    from pubcredit.collection import services
    from pubcredit.collection.readers import open_rows

    dept = catalog_queries.department_by_code("hz-scjgj")

    def run() -> Any:
        with open_rows(path) as source:
            return services.submit_batch(entry_code="penalty-scjg", department=dept, rows=source, channel="cli",
                                         filename=path.name, actor="bench")

    _reset_peak_memory()
    rss_before = _memory_mb("VmRSS")
    backend_before, process_before = _backend_cpu(), time.process_time()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        batch = prof.runcall(run)
        seconds = time.perf_counter() - started
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    else:
        batch = run()
        seconds = time.perf_counter() - started
    cpu = {"python_cpu_seconds": round(time.process_time() - process_before, 2)}
    peak = _memory_mb("VmHWM")
    if rss_before is not None and peak is not None:  # streamed: the peak must not grow with the file
        cpu.update(rss_before_mb=rss_before, peak_rss_mb=peak)
    backend_after = _backend_cpu()
    if backend_before is not None and backend_after is not None:
        cpu["backend_cpu_seconds"] = round(backend_after - backend_before, 2)
    return seconds, batch, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to generate (default 1 000 000)")
    parser.add_argument("--profile", action="store_true", help="profile our path with cProfile")
    parser.add_argument("--resend", action="store_true", help="also time a resend of the same file (all unchanged)")
    args = parser.parse_args(argv)
    _setup_django()
    from django.db import connection

    from pubcredit.subjects import services as subject_services

    path = OUT_DIR / f"penalties-{args.rows}.csv"
    sidecar = path.with_suffix(".subjects.json")
    t0 = time.perf_counter()
    if path.exists() and sidecar.exists():
        print(f"reusing {path}", flush=True)
        known = [(str(c), str(n)) for c, n in json.loads(sidecar.read_text(encoding="utf-8"))]
    else:
        print(f"generating {args.rows} rows into {path} …", flush=True)
        known = generate(path, args.rows)
        sidecar.write_text(json.dumps(known, ensure_ascii=False), encoding="utf-8")
    print(f"  {time.perf_counter() - t0:.1f} s, {path.stat().st_size / 1e6:.0f} MB; registering {len(known)} "
          "known subjects …", flush=True)
    subject_services.bulk_register_unverified(organizations=[("legal_person", c, n) for c, n in known],
                                              source="bench", actor="bench")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    copy_s = raw_copy(path)
    print(f"(a) raw COPY: {copy_s:.1f} s, {args.rows / copy_s:,.0f} rows/s", flush=True)
    ours_s, batch, cpu = ours(path, profile=args.profile)
    print(f"(b) our path: {ours_s:.1f} s, {args.rows / ours_s:,.0f} rows/s — accepted {batch.accepted}, "
          f"updated {batch.updated}, unchanged {batch.unchanged}, rejected {batch.rejected}", flush=True)
    print(f"    CPU: {cpu['python_cpu_seconds']:.1f} s in this process (all threads), "
          + (f"{cpu['backend_cpu_seconds']:.1f} s in its PostgreSQL backend" if "backend_cpu_seconds" in cpu
             else "PostgreSQL backend not measurable (server not local)"), flush=True)
    if "peak_rss_mb" in cpu:
        print(f"    memory: {cpu['rss_before_mb']:.0f} MB before the batch, peak {cpu['peak_rss_mb']:.0f} MB during it "
              f"(file {path.stat().st_size / 1e6:.0f} MB)", flush=True)
    ratio = copy_s / ours_s
    print(f"ratio (b)/(a) = {ratio:.3f}  (goal ≥ 0.25)")
    figures: dict[str, Any] = {
        "rows": args.rows, "file_mb": round(path.stat().st_size / 1e6, 1),
        "raw_copy_seconds": round(copy_s, 2), "raw_copy_rows_per_s": round(args.rows / copy_s),
        "ours_seconds": round(ours_s, 2), "ours_rows_per_s": round(args.rows / ours_s), "ratio": round(ratio, 3),
        "accepted": batch.accepted, "rejected": batch.rejected, "known_subjects": len(known), **cpu,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if args.resend:
        resend_s, again, _ = ours(path, profile=False)
        print(f"(c) resend: {resend_s:.1f} s, {args.rows / resend_s:,.0f} rows/s — unchanged {again.unchanged}")
        figures.update(resend_seconds=round(resend_s, 2), resend_rows_per_s=round(args.rows / resend_s))
    out_file("ingest.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"figures written to {shown(out_file('ingest.json'))}")
    from tests.bench.settle import vacuum_scratch

    # Outside the measured time: leave autovacuum nothing to do here during the next benchmark.
    print(f"vacuumed the scratch database in {vacuum_scratch(connection):.1f} s (not measured)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
