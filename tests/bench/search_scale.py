"""Benchmark the portal's name search on a city-sized subjects table (1.5 M organisations).

A scratch database ``pubcredit_bench_search`` on the server of DATABASE_URL (else the one the
test settings find) is migrated and filled once, in SQL, with ``--orgs`` organisations (default
1 500 000, about Hangzhou's number of registered market entities) whose names are built from
districts, two-character trade names, industries and legal forms, so that a fragment such as
科技 or 有限公司 matches a large share of them as it would in a real city. Later runs reuse it.

Then it times ``subjects.queries.search`` (what ``/search/?q=`` runs) on fragments of each
kind — common and rare, two characters (bigram index) and longer (trigram index), and an
exact code — ``--repeat`` times each, and prints the median and worst milliseconds, the count
shown and whether the list was capped. Figures go to ``var/bench/search_scale.json``.

    python -m tests.bench.search_scale [--orgs 1500000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from datetime import UTC, datetime
from typing import Any

from tests.bench.common import db_name, out_file, shown
from tests.bench.report_load import scratch_database

BENCH_DB = db_name("_search")
OUT_FILE = out_file("search_scale.json")

# Name parts: a district, a two-character trade name drawn from TRADE_CHARS, an industry and a form.
DISTRICTS = ["杭州", "浙江", "杭州西湖", "杭州滨江", "杭州余杭", "杭州萧山", "杭州临平", "杭州钱塘", "杭州富阳",
             "淳安县"]
TRADE_CHARS = ("华明通达兴隆盛泰鑫源恒信瑞丰嘉禾远宏德安康顺利新天宇海博创联合美佳君立成中正元亿金星辉光永昌和平福万方"
               "东南北晨阳云帆锦绣诚益久讯捷睿智博雅卓越领航腾飞汇聚启明鼎峰荣耀思远铭晟昊旭弘毅")
INDUSTRIES = ["科技", "网络科技", "信息技术", "贸易", "建筑工程", "餐饮管理", "物流", "文化传媒", "医药",
              "新能源", "投资管理", "电子商务", "教育咨询", "机械设备", "服装", "食品", "环保科技", "汽车服务",
              "装饰设计", "农业开发"]
FORMS = ["有限公司", "有限公司", "有限公司", "股份有限公司", "有限公司分公司", "合伙企业（有限合伙）", "商行", "工作室"]

# (label, fragment): what residents type.
FRAGMENTS = [
    ("2 chars, common (industry)", "科技"),
    ("2 chars, common (form)", "有限"),
    ("2 chars, rare", "弘毅"),
    ("2 chars, none", "龙井"),
    ("3 chars, common", "有限公"),
    ("4 chars, common", "有限公司"),
    ("4 chars, medium", "网络科技"),
    ("4 chars, rare (trade name + industry)", "弘毅物流"),
    ("6 chars, rare", "杭州滨江弘毅"),
    ("no match", "不存在的名称"),
]


def setup(orgs: int) -> str:
    """Point Django at the scratch database, migrate, and fill it unless it holds ``orgs`` organisations."""
    url = scratch_database(BENCH_DB)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM subjects_subject")
        have = cursor.fetchone()[0]
        if have != orgs:
            print(f"filling {BENCH_DB} with {orgs} organisations (a few minutes) …", flush=True)
            started = time.perf_counter()
            # Its own scratch database: the cascade reaches append-only tables (query log, issued
            # reports), emptied with their triggers off.
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("TRUNCATE subjects_subject CASCADE")
            cursor.execute("SET session_replication_role = origin")
            n = len(TRADE_CHARS)
            # Parts chosen by hashes of the row number: the same names on every run (no random()).
            cursor.execute(
                """
                INSERT INTO subjects_subject (public_ref, kind, name, uscc, resident_id_masked, region_code, verified,
                                              source, created_at, updated_at)
                SELECT gen_random_uuid(), 'legal_person',
                       (%(districts)s::text[])[1 + abs(hashtext('d' || i)) %% %(nd)s]
                       || substr(%(chars)s, 1 + abs(hashtext('a' || i)) %% %(nc)s, 1)
                       || substr(%(chars)s, 1 + abs(hashtext('b' || i)) %% %(nc)s, 1)
                       || (%(industries)s::text[])[1 + abs(hashtext('i' || i)) %% %(ni)s]
                       || (%(forms)s::text[])[1 + abs(hashtext('f' || i)) %% %(nf)s]
                       || CASE WHEN i %% 4 = 0 THEN '（' || i || '）' ELSE '' END,
                       '9' || lpad(i::text, 17, '0'), '', '330100', true, 'bench', now(), now()
                FROM generate_series(1, %(orgs)s) AS i
                """,
                {"districts": DISTRICTS, "nd": len(DISTRICTS), "chars": TRADE_CHARS, "nc": n,
                 "industries": INDUSTRIES, "ni": len(INDUSTRIES), "forms": FORMS, "nf": len(FORMS), "orgs": orgs})
            cursor.execute("VACUUM (ANALYZE) subjects_subject")  # as autovacuum soon would
            print(f"filled in {time.perf_counter() - started:.1f} s", flush=True)
        else:
            print(f"reusing {orgs} organisations in {BENCH_DB}", flush=True)
    return url


def measure(repeat: int) -> list[dict[str, Any]]:
    from pubcredit.access.readers import Reader
    from pubcredit.subjects import queries

    out = []
    for label, fragment in FRAGMENTS:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            found = queries.search(fragment, reader=Reader())
            times.append((time.perf_counter() - started) * 1000)
        out.append({"kind": label, "q": fragment, "median_ms": round(statistics.median(times), 1),
                    "max_ms": round(max(times), 1), "count": found.count, "capped": found.capped,
                    "listed": len(found.items)})
        print(f"  {label:<40} {fragment:<8} median {statistics.median(times):7.1f} ms  max {max(times):7.1f} ms  "
              f"count {found.count}{'+' if found.capped else ''}", flush=True)
    import random

    from pubcredit.codes.synth import make_uscc

    # An exact code: a valid one that is not there (the look-up is the same either way).
    code = make_uscc(random.Random(1), region_code="330106")
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        queries.search(code, reader=Reader())
        times.append((time.perf_counter() - started) * 1000)
    out.append({"kind": "exact code", "q": code, "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1)})
    print(f"  {'exact code':<40} median {statistics.median(times):7.1f} ms", flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.search_scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orgs", type=int, default=1_500_000, help="organisations in the scratch table")
    parser.add_argument("--repeat", type=int, default=5, help="searches per fragment")
    args = parser.parse_args(argv)
    if args.orgs < 1 or args.repeat < 1:
        parser.error("--orgs and --repeat must be positive")
    setup(args.orgs)
    from django.db import connection

    from tests.bench.settle import describe, settle

    settled = settle(connection)  # what earlier benchmarks left the server to do would skew every figure
    print(describe(settled), flush=True)
    print(f"name search on {args.orgs} organisations ({args.repeat} times each):", flush=True)
    results = measure(args.repeat)
    OUT_FILE.parent.mkdir(parents=True, exist_ok=True)
    OUT_FILE.write_text(json.dumps({"benchmark": "search_scale", "at": datetime.now(UTC).isoformat(),
                                    "machine": platform.node(), "orgs": args.orgs, "settle": settled,
                                    "results": results},
                                   ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"written to {shown(OUT_FILE)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
