"""``pubcredit manage ...``: run any Django management command (createsuperuser, shell, ...)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("manage", help="run a Django management command", description=__doc__)
    p.add_argument("rest", nargs=argparse.REMAINDER, help="the management command and its arguments")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pubcredit.cli import env

    env.setup()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pubcredit manage", *args.rest])
    return 0
