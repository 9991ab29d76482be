"""Server-side prepared statements for the plain-SQL reads and writes every API request makes.

Django binds parameters on the client (it quotes each value into the SQL text in Python) and
never prepares, so PostgreSQL parses and plans each statement on every execution: for the few
short statements of a credit report (token, subject, authorisation, relations, records, the
write) planning cost about as much database CPU as running them, and quoting a write's thirty
values cost the web process more than sending them.

``fetchone`` and ``fetchall`` run such a statement through the driver itself, on the connection
Django holds (same session, same transaction): parameters travel apart from the SQL (server-side
binding, nothing quoted in Python), and the statement is prepared on its first use on a database
session and executed by name afterwards (psycopg's per-connection statement cache). Errors are
Django's (``DataError``, ``IntegrityError``…), and the statements are logged where Django logs
queries (``CaptureQueriesContext`` and ``assertNumQueries`` count them).

Prepared statements belong to the database session: they survive ROLLBACK, are gone with the
connection (a new connection prepares again), and do not work behind a pooler in transaction
mode (PgBouncer before 1.21) — there, set ``PUBCREDIT_PREPARED_STATEMENTS = False``: statements
are then still bound on the server, but parsed and planned each time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import orjson
import psycopg
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from psycopg.abc import Buffer
from psycopg.adapt import Loader

Row = tuple[Any, ...]


class _OrjsonLoader(Loader):
    """``json`` and ``jsonb`` values decoded by orjson straight from the bytes received (Django's own
    cursors get them as text: decoding them to ``str`` and orjson encoding that again cost a
    report's records as much as parsing them)."""

    def load(self, data: Buffer) -> Any:
        return orjson.loads(data)


_CURSOR_ATTRIBUTE = "_pubcredit_prepared_cursor"


def _cursor(db: Any) -> psycopg.Cursor[Row]:
    """The server-binding cursor of Django's connection wrapper ``db``: one per driver connection,
    reused (a statement's rows are always read whole before the next). Kept on the wrapper, so a
    closed connection's cursor goes with it when the wrapper connects again."""
    cursor: psycopg.Cursor[Row] | None = getattr(db, _CURSOR_ATTRIBUTE, None)
    if cursor is None or cursor.closed or cursor.connection is not db.connection:
        # A plain psycopg cursor binds on the server; Django's own cursors bind on the client.
        cursor = psycopg.Cursor(db.connection)
        for name in ("json", "jsonb"):
            cursor.adapters.register_loader(name, _OrjsonLoader)
        setattr(db, _CURSOR_ATTRIBUTE, cursor)
    return cursor


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> int:
    """How many ``%s`` placeholders ``sql`` holds; ValueError for any other ``%``."""
    if "%%" in sql or sql.count("%") != sql.count("%s"):
        raise ValueError("a prepared statement may hold no % other than its %s placeholders")
    return sql.count("%s")


def _run(sql: str, params: Sequence[Any], *, using: str) -> psycopg.Cursor[Row]:
    """Execute ``sql`` (``%s`` placeholders) on the connection Django holds for ``using``."""
    if _placeholders(sql) != len(params):
        raise ValueError(f"{_placeholders(sql)} placeholders, {len(params)} parameters")
    db = connections[using]
    db.ensure_connection()
    db.validate_no_broken_transaction()
    prepare = bool(getattr(settings, "PUBCREDIT_PREPARED_STATEMENTS", True))
    started = time.monotonic()
    try:
        with db.wrap_database_errors:
            return _cursor(db).execute(sql, params, prepare=prepare)
    finally:
        if db.queries_logged:
            db.queries_log.append({"sql": f"{sql.strip()} /* {'prepared' if prepare else 'bound'}: {list(params)!r} */",
                                   "time": f"{time.monotonic() - started:.3f}"})


def fetchone(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> Row | None:
    """The first row of ``sql`` run as a prepared statement (None when there is none); ``json`` and
    ``jsonb`` columns come decoded."""
    return _run(sql, params, using=using).fetchone()


def fetchall(sql: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> list[Row]:
    """Every row of ``sql`` run as a prepared statement; ``json`` and ``jsonb`` columns come decoded."""
    return _run(sql, params, using=using).fetchall()
