"""``pubcredit demo``: a working platform on this machine in one command.

Starts an embedded PostgreSQL (data under var/pgdata, reused by the next demo; stopped when
the demo stops) unless DATABASE_URL is set, migrates, loads the catalog and a synthetic city,
creates demo logins, prints them and serves on http://127.0.0.1:8000.
"""

from __future__ import annotations

import argparse

from pubcredit.cli.serve import add_server_arguments, collect_static, remind_schedule, serve_forever


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("demo", help="run a local demo with a synthetic city", description=__doc__)
    add_server_arguments(p)
    p.add_argument("--orgs", type=int, default=3000, help="organisations in a new city (default 3000)")
    p.add_argument("--persons", type=int, default=10000, help="natural persons (default 10000)")
    p.add_argument("--records", type=int, default=60000, help="credit records (default 60000)")
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.add_argument("--no-serve", action="store_true", help="prepare everything, then exit")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    source = env.setup(demo=True)
    print(f"pubcredit demo: database: {source}", flush=True)
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    print("pubcredit demo: schema up to date", flush=True)

    from pubcredit.catalog.services import load_initial_catalog
    from pubcredit.synthetic import city, logins

    summary = load_initial_catalog(actor="pubcredit demo")
    print(f"pubcredit demo: catalog: {summary}", flush=True)
    if city.city_exists():
        print("pubcredit demo: synthetic city already loaded; reusing it", flush=True)
    else:
        stats = city.generate(city.CityPlan(orgs=args.orgs, persons=args.persons, records=args.records,
                                            seed=args.seed), progress=True)
        print(f"pubcredit demo: generated {stats}", flush=True)
    accounts = logins.ensure_demo_logins()
    collect_static()
    remind_schedule()
    url = f"http://{args.host}:{args.port}/"
    print("\n" + "=" * 72)
    print(f"  杭州市公共信用信息平台 (demo) — {url}")
    print(f"  管理后台 back-office: {url}admin/    API: {url}api/v1/docs")
    print("  Demo logins (local demo only):")
    for acc in accounts:
        print(f"    {acc.username:<10} {acc.password:<20} {acc.role_label} — {acc.note}")
        if acc.totp_secret:
            print(f"               second factor (TOTP) secret {acc.totp_secret}; current code:")
            print(f"               uv run python -c \"import pyotp; print(pyotp.TOTP('{acc.totp_secret}').now())\"")
    print("=" * 72 + "\n", flush=True)
    if args.no_serve:
        return 0
    serve_forever(host=args.host, port=args.port, workers=args.workers, threads=args.threads)
    return 0
