"""The ``pubcredit`` command: one entry point for every operator job.

Each sub-command lives in its own small module here, exposing ``register(subparsers)``. A
failure prints one line ``pubcredit: error: <reason>`` and exits with code 2; nothing is
half-written because every command calls a service that owns its transaction.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMANDS = [
    "demo", "serve", "migrate", "generate", "catalog", "workdays", "codes", "ingest", "users", "audit", "worker",
    "manage",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pubcredit",
        description="杭州市公共信用信息平台 — operator commands (public credit information platform).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"pubcredit.cli.{name}").register(sub)
    return parser


def fail(message: str) -> int:
    print(f"pubcredit: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    from django.core.exceptions import ImproperlyConfigured

    from pubcredit.errors import PubcreditError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PubcreditError as exc:
        return fail(str(exc))
    except ImproperlyConfigured as exc:
        return fail(f"configuration: {exc}")
    except KeyboardInterrupt:
        print("pubcredit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
