"""Profile single credit-report requests in-process on the bench city (``tests.bench.report_load``).

Runs ``GET /api/v1/subjects/{code}/report`` through the full Django stack (middleware included)
with the bench agency's token, for ``--requests`` random organisations, and prints the SQL
statements of one request and the cProfile of all of them (cumulative, top ``--top``).

    python -m tests.bench.report_profile [--requests 200] [--top 40] [--repeat]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.report_profile")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--authorized-only", action="store_true", help="only codes that authorised the agency")
    parser.add_argument("--repeat", action="store_true", help="ask for the same codes twice (warm cache)")
    args = parser.parse_args(argv)

    from tests.bench import report_load

    report_load.setup_city()
    secret, agency_id, codes = report_load.ensure_agency(share=0.2)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.report_settings"
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    if args.authorized_only:
        from pubcredit.access.models import Authorization

        codes = sorted(Authorization.objects.filter(grantee_id=agency_id).values_list("subject__uscc", flat=True))
    rng = random.Random(1)
    chosen = rng.sample(codes, args.requests)
    if args.repeat:
        chosen = chosen + chosen
    with override_settings(ROOT_URLCONF="tests.bench.report_urls", PUBCREDIT_RATE_LIMIT_ENABLED=False,
                           ALLOWED_HOSTS=["*"]):
        del settings  # only the override is used
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.get(f"/api/v1/subjects/{chosen[0]}/report")  # warm-up: imports, key, connection
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/subjects/{chosen[1]}/report")
        print(f"status {response.status_code}, {len(response.content)} bytes, {len(captured)} statements:")
        for q in captured.captured_queries:
            print(f"  {q['time']}s  {q['sql'][:160]}")
        plain = [c for c in codes if c not in set(chosen)][: len(chosen)]
        wall, cpu = time.perf_counter(), time.process_time()
        for code in plain:
            client.get(f"/api/v1/subjects/{code}/report")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"not profiled, {len(plain)} other codes: {wall / len(plain) * 1000:.2f} ms each, of which "
              f"{cpu / len(plain) * 1000:.2f} ms CPU in this process")
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for code in chosen[2:]:
            client.get(f"/api/v1/subjects/{code}/report")
        profiler.disable()
        elapsed = time.perf_counter() - started
        bare_started = time.perf_counter()
        for code in chosen[2:]:
            client.get(f"/bench/bare/{code}")
        bare = time.perf_counter() - bare_started
    n = len(chosen) - 2
    print(f"{n} requests: {elapsed / n * 1000:.2f} ms each (profiled); bare {bare / n * 1000:.2f} ms each")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.top)
    print(out.getvalue())
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
