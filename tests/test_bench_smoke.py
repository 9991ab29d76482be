"""``make bench`` keeps working: every benchmark runs end to end on a tiny city and writes its figures.

The benchmarks are not tests: their full-size runs take a quarter of an hour and their figures are
reported, not asserted. But they are code that follows the schema, and twice (session 10) a
rename broke one that nothing ran until the next ``make bench``. Here each runs as ``make bench``
runs it (its own process, its command line), with tiny sizes, in its own scratch databases and
output folder (``tests.bench.common``), and its figures are read back. Nothing here asserts a
speed: only that each benchmark did the work it reports, and that its figures say so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings

from pubcredit import devdb

ROOT = Path(__file__).resolve().parents[1]
STEP_TIMEOUT = 300


def _server_url(database: str) -> str:
    """``database`` on the test suite's server (the test settings put its URL in DATABASE_URL,
    whichever server they found: given, local or embedded)."""
    assert settings.DATABASES["default"]["NAME"]  # the settings are loaded, so DATABASE_URL is set
    return devdb.with_database(os.environ["DATABASE_URL"], database)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("bench")
    prefix = f"pcsmoke_{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BENCH_", "DJANGO_SETTINGS_MODULE"))}
    env.update(DATABASE_URL=_server_url("postgres"), BENCH_OUT_DIR=str(out), BENCH_DB_PREFIX=prefix,
               BENCH_CITY="40,150,1500", BENCH_SETTLE_SECONDS="0",
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        yield {"env": env, "out": out}
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as conn:
            for suffix in ("", "_report", "_audit", "_search"):
                conn.execute(f"DROP DATABASE IF EXISTS {prefix}{suffix} WITH (FORCE)")


def _run(bench: dict[str, Any], module: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", f"tests.bench.{module}", *args], cwd=ROOT,  # noqa: S603
                          env=bench["env"], capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
    assert done.returncode == 0, f"{module} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    name = {"run": "ingest"}.get(module, module)
    figures = json.loads((bench["out"] / f"{name}.json").read_text(encoding="utf-8"))
    assert isinstance(figures, dict)
    return figures


# One test, in make bench's order: the report city is built once and read by the later ones.
def test_every_benchmark_runs_end_to_end_and_writes_its_figures(bench: dict[str, Any]) -> None:
    ingest = _run(bench, "run", "--rows", "1500")
    assert (ingest["rows"], ingest["accepted"], ingest["rejected"]) == (1500, 1500, 0)
    assert min(ingest["raw_copy_rows_per_s"], ingest["ours_rows_per_s"], ingest["ratio"]) > 0

    audit = _run(bench, "audit_verify", "--rows", "3000", "--batch", "500", "--checkpoint-every", "1000")
    assert (audit["ok"], audit["rows"]) == (True, 3000)
    assert audit["checkpoints"] >= 3

    load = _run(bench, "report_load", "--seconds", "1", "--warmup", "0.3", "--clients", "4", "--workers", "1")
    assert load["city"]["orgs"] == 40
    for endpoint in ("report", "bare"):
        assert load[endpoint]["requests"] > 0
        assert set(load[endpoint]["statuses"]) == {"200"}, load[endpoint]
    assert load["reports_issued"] > 0
    assert min(load["ratio"], load["cpu_ratio"]) > 0

    pdf = _run(bench, "pdf_render", "--sizes", "3")
    assert pdf["reports"]
    assert all(r["pages"] >= 1 for r in pdf["reports"])

    batch = _run(bench, "batch_query", "--codes", "200", "--processes", "1")
    counts = batch["counts"]
    assert batch["codes"] == 200
    assert sum(counts.values()) == 200
    assert counts["found"] > 0
    assert counts["invalid"] == batch["mix"]["invalid"]
    assert batch["query_log_rows_written"] > 0  # the authorised organisations' reads were logged

    search = _run(bench, "search_scale", "--orgs", "2000", "--repeat", "1")
    assert search["orgs"] == 2000
    rows = {row["kind"]: row for row in search["results"]}
    assert rows["2 chars, common (industry)"]["count"] > 0
    assert rows["no match"]["count"] == 0
    assert "exact code" in rows
