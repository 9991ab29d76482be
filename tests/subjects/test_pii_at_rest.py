"""The database never holds a resident ID number in clear (issue #2, item 3)."""

import pytest
from django.db import connection

from pubcredit.subjects import pii
from tests.factories import subjects as f

pytestmark = pytest.mark.django_db


def _tables_containing(text: str) -> list[str]:
    hits = []
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        for (table,) in cur.fetchall():
            cur.execute(f'SELECT count(*) FROM "{table}" t WHERE t::text LIKE %s', [f"%{text}%"])
            if cur.fetchone()[0]:
                hits.append(table)
    return hits


def test_no_table_holds_the_id_number_in_clear() -> None:
    rid = f.resident_id()
    company = f.org()
    boss = f.person(name="王五", code=rid)
    from pubcredit.subjects import services

    services.relate(organization=company, related=boss, role="legal_rep", actor="t")
    assert _tables_containing(rid) == []
    assert _tables_containing(rid[6:14]) == []  # not even the birth-date part next to anything
    # ... yet the platform can decrypt it for an entitled reader
    assert pii.decrypt_resident_id(boss.resident_id_enc) == rid
