"""Audit test helpers: entries are written through ``audit.services``; attacks use raw SQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from pubcredit.audit import rules, services
from pubcredit.audit.models import AuditEntry

ACTOR = "test:auditor"


def record(n: int, *, event: str = "access:query", **fields: Any) -> None:
    """Append ``n`` entries, each with its own object id."""
    for i in range(n):
        services.record_event(event, actor=ACTOR, object_type="subject", object_id=str(i), subject_id=1000 + i,
                              channel="api", data={"purpose": "行政审批", "n": i, **fields})


def sealed_chain(n: int) -> list[AuditEntry]:
    """``n`` entries, all sealed, in seq order."""
    record(n)
    services.seal_all()
    return list(AuditEntry.objects.order_by("seq"))


def read_row(seq: int) -> rules.EntryRow:
    """An entry as the sealer and verifier see it (the attacker knows the format too)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {rules.SELECT_ENTRY} FROM audit_auditentry WHERE seq = %s", [seq])
        raw = cursor.fetchone()
    assert raw is not None
    return rules.entry_from_db(raw)


@contextmanager
def attacker(how: str = "disable") -> Iterator[Any]:
    """A cursor with the append-only triggers switched off, as someone with database access would.

    ``disable``: ALTER TABLE … DISABLE TRIGGER ALL; ``replica``: SET session_replication_role.
    Both are undone afterwards (and the test's transaction is rolled back anyway).
    """
    with connection.cursor() as cursor:
        if how == "disable":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER ALL")
            cursor.execute("ALTER TABLE audit_checkpoint DISABLE TRIGGER ALL")
        else:
            cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            yield cursor
        finally:
            if how == "disable":
                cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER ALL")
                cursor.execute("ALTER TABLE audit_checkpoint ENABLE TRIGGER ALL")
            else:
                cursor.execute("SET LOCAL session_replication_role = origin")


def rewrite(cursor: Any, seq: int, prev_hash: str, **changes: Any) -> str:
    """Change entry ``seq`` and store a hash recomputed over the new content; return that hash."""
    row = read_row(seq)._replace(prev_hash=prev_hash, **changes)
    digest = rules.entry_hash(prev_hash, rules.entry_content(row))
    cursor.execute("UPDATE audit_auditentry SET actor = %s, data = %s::jsonb, prev_hash = %s, entry_hash = %s "
                   "WHERE seq = %s", [row.actor, json.dumps(row.data), prev_hash, digest, seq])
    return digest
