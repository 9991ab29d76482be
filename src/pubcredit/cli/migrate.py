"""``pubcredit migrate``: bring the database schema up to date."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("migrate", help="apply database migrations", description=__doc__)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=1)
    return 0
