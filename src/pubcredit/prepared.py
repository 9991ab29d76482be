"""Server-side prepared statements for the plain-SQL reads every API request makes.

Django binds parameters on the client and never prepares, so PostgreSQL plans each statement on
every execution: for the few short reads of a credit report (token, subject, authorisation,
relations, records) planning cost about as much database CPU as running them. ``execute`` runs
such a statement as ``EXECUTE name(…)``, after ``PREPARE name AS …`` the first time it is used on
a database session.

Through Django's cursor, so errors, query capture in tests and execute wrappers behave as for any
query. Prepared statements belong to the database session: they survive ROLLBACK, are gone with
the connection (a new connection prepares again), and do not work behind a pooler in transaction
mode (PgBouncer before 1.21) — there, set ``PUBCREDIT_PREPARED_STATEMENTS = False``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from django.conf import settings
from django.db.backends.utils import CursorWrapper

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# Names prepared on each database session (keyed by the driver's connection object).
_PREPARED: WeakKeyDictionary[Any, set[str]] = WeakKeyDictionary()


def _numbered(sql: str) -> tuple[str, int]:
    """``sql`` with its ``%s`` placeholders as ``$1 … $n`` (a statement here holds no other ``%``)."""
    parts = sql.split("%s")
    if any("%" in part for part in parts):
        raise ValueError("a prepared statement may hold no % other than its %s placeholders")
    return "".join(f"{part}${i}" if i < len(parts) else part for i, part in enumerate(parts, start=1)), len(parts) - 1


def execute(cursor: CursorWrapper, name: str, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` (``%s`` placeholders, ``params``) as the prepared statement ``name``; its rows are
    then read from ``cursor`` as usual. ``name`` must always stand for the same ``sql``."""
    if not getattr(settings, "PUBCREDIT_PREPARED_STATEMENTS", True):
        cursor.execute(sql, params)
        return
    if not _NAME.match(name):
        raise ValueError(f"not a statement name: {name!r}")
    body, count = _numbered(sql)
    if count != len(params):
        raise ValueError(f"{name}: {count} placeholders, {len(params)} parameters")
    run = f"EXECUTE {name}({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    done = _PREPARED.setdefault(cursor.db.connection, set())
    if name not in done:
        cursor.execute(f"PREPARE {name} AS {body}")  # once per session: a statement of its own, so a
        done.add(name)  # failing EXECUTE below never leaves a prepared statement we do not know of
    cursor.execute(run, params)
