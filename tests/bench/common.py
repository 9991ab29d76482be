"""What the benchmarks share: where their figures go, the names of their scratch databases, the
size of the synthetic city, and how long they wait for the server to settle.

``make bench`` sets none of the variables below and gets the full-size runs whose figures the
issues ask for. The bench smoke test (``tests/test_bench_smoke.py``) sets them all, so that every
benchmark runs end to end on a tiny city in its own databases, in CI, without touching the
figures or the city of a real run:

  BENCH_OUT_DIR            where the figures are written (default ``var/bench``)
  BENCH_DB_PREFIX          prefix of the scratch databases (default ``pubcredit_bench``; the
                           ingest benchmark's database is the prefix itself, the others add
                           ``_report``, ``_audit``, ``_search``)
  BENCH_CITY               organisations,persons,records of the report city (default
                           20000,100000,1000000)
  BENCH_SETTLE_SECONDS     longest wait for the server's autovacuum workers (default 180)
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CITY = {"orgs": 20_000, "persons": 100_000, "records": 1_000_000, "seed": 1}
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,50}")


def out_file(name: str) -> Path:
    """The file a benchmark writes its figures to (its directory created)."""
    folder = Path(os.environ.get("BENCH_OUT_DIR") or ROOT / "var" / "bench")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def shown(path: Path) -> str:
    """``path`` as a benchmark prints it: relative to the checkout when it lies inside."""
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def db_name(suffix: str = "") -> str:
    """The scratch database of a benchmark: ``BENCH_DB_PREFIX`` (default ``pubcredit_bench``) and
    ``suffix``. Refuses a name that is not a plain lower-case identifier (it is put into SQL)."""
    name = (os.environ.get("BENCH_DB_PREFIX") or "pubcredit_bench") + suffix
    if not _IDENTIFIER.fullmatch(name):
        raise SystemExit(f"BENCH_DB_PREFIX: {name!r} is not a plain lower-case database name")
    return name


def city_plan() -> dict[str, int]:
    """The synthetic city's size: ``BENCH_CITY`` as organisations,persons,records, else the issue's."""
    raw = os.environ.get("BENCH_CITY", "").strip()
    if not raw:
        return dict(DEFAULT_CITY)
    try:
        orgs, persons, records = (int(part) for part in raw.split(","))
    except ValueError:
        raise SystemExit(f"BENCH_CITY: {raw!r} is not three whole numbers organisations,persons,records") from None
    if min(orgs, persons, records) < 1:
        raise SystemExit("BENCH_CITY: every number must be positive")
    return {"orgs": orgs, "persons": persons, "records": records, "seed": DEFAULT_CITY["seed"]}


def settle_seconds() -> float:
    """The longest wait for autovacuum before a timed benchmark (``BENCH_SETTLE_SECONDS``, default 180)."""
    try:
        return max(0.0, float(os.environ.get("BENCH_SETTLE_SECONDS") or 180))
    except ValueError:
        raise SystemExit("BENCH_SETTLE_SECONDS: a number of seconds") from None
