"""``pubcredit generate``: load a synthetic Hangzhou (deterministic for a seed) into the database."""

from __future__ import annotations

import argparse
from datetime import date


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("generate", help="generate a synthetic city (organisations, persons, records)",
                       description=__doc__)
    p.add_argument("--orgs", type=int, default=2000, help="organisations (default 2000)")
    p.add_argument("--persons", type=int, default=10000, help="natural persons (default 10000)")
    p.add_argument("--records", type=int, default=50000, help="credit records (default 50000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="last day of the five years of records (default 2026-10-31)")
    p.add_argument("--years", type=int, default=5, help="years of history (default 5)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from pubcredit.synthetic import city

    plan = city.CityPlan(orgs=args.orgs, persons=args.persons, records=args.records, seed=args.seed,
                         as_of=args.as_of or city.DEFAULT_AS_OF, years=args.years)
    stats = city.generate(plan, progress=not args.quiet)
    print(f"pubcredit: generated {stats}")
    return 0
