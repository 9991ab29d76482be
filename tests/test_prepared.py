"""pubcredit.prepared: bound on the server, prepared once per database session, then executed by name."""

from __future__ import annotations

import gc
import weakref
from datetime import date

import pytest
from django.db import DataError, connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from pubcredit import prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT %s::int + 1, %s::text WHERE %s"


def _session_statements(fragment: str) -> list[tuple[str, int]]:
    """The statements this database session holds prepared whose text contains ``fragment``, with
    how many times each was executed (PostgreSQL's own view, not the driver's cache)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements "
                       "WHERE strpos(statement, %s) > 0", [fragment])
        return [(str(s), int(n)) for s, n in cursor.fetchall()]


def test_a_statement_is_prepared_once_per_session_then_executed_by_name() -> None:
    sql = "SELECT %s::int + 1, %s::text /* once */ WHERE %s"
    assert prepared.fetchall(sql, [41, "a", True]) == [(42, "a")]
    assert prepared.fetchall(sql, [1, "b", False]) == []
    assert prepared.fetchone(sql, [2, "c", True]) == (3, "c")
    held = _session_statements("/* once */")
    assert len(held) == 1
    text, runs = held[0]
    assert "$1::int + 1, $2::text" in text
    assert "$3" in text
    assert runs == 3


@pytest.mark.django_db(transaction=True)  # no test transaction: the connection is closed and opened again
def test_a_new_connection_prepares_again() -> None:
    sql = "SELECT %s::int + 1 /* reconnect */"
    assert prepared.fetchone(sql, [1]) == (2,)
    first = weakref.ref(connection.connection)
    connection.close()
    assert _session_statements("/* reconnect */") == []  # a new session holds nothing yet
    assert prepared.fetchone(sql, [2]) == (3,)
    assert [runs for _, runs in _session_statements("/* reconnect */")] == [1]
    gc.collect()
    assert first() is None  # the closed connection is not kept alive by the statement cursor


def test_values_travel_apart_from_the_sql() -> None:
    tricky = "O'Brien \\ $1 %s -- ; DROP TABLE x"
    assert prepared.fetchone("SELECT %s::text, %s::date, %s::varchar[]", [tricky, date(2026, 2, 17), []]) == (
        tricky, date(2026, 2, 17), [])


def test_a_failing_statement_raises_djangos_error_and_leaves_the_statement_usable() -> None:
    with pytest.raises(DataError), transaction.atomic():
        prepared.fetchone("SELECT %s::int /* failing */", ["not a number"])
    assert prepared.fetchone("SELECT %s::int /* failing */", ["6"]) == (6,)


def test_statements_are_logged_where_django_logs_queries() -> None:
    with CaptureQueriesContext(connection) as captured:
        prepared.fetchone(SQL, [1, "x", True])
        prepared.fetchall(SQL, [2, "y", True])
    assert len(captured) == 2
    assert captured.captured_queries[0]["sql"].startswith("SELECT %s::int + 1")
    assert "prepared: [1, 'x', True]" in captured.captured_queries[0]["sql"]


def test_switched_off_it_binds_on_the_server_without_preparing() -> None:
    sql = "SELECT %s::int + 1, %s::text /* off */ WHERE %s"
    with override_settings(PUBCREDIT_PREPARED_STATEMENTS=False):
        for _ in range(6):  # more than psycopg's own automatic threshold (5)
            assert prepared.fetchall(sql, [1, "p", True]) == [(2, "p")]
    assert _session_statements("/* off */") == []


def test_percent_signs_and_a_wrong_number_of_values_are_refused() -> None:
    with pytest.raises(ValueError, match="placeholders"):
        prepared.fetchone(SQL, [1])
    with pytest.raises(ValueError, match="%"):
        prepared.fetchone("SELECT 'a%%' || %s", ["b"])
    with pytest.raises(ValueError, match="%"):
        prepared.fetchone("SELECT 5 % %s", [3])


def test_json_columns_come_decoded_and_text_stays_text() -> None:
    row = prepared.fetchone("SELECT %s::jsonb, json_build_array(1, '杭州', NULL), %s::text",
                            ['{"名称": "杭州", "n": [1, 2.5]}', '{"a": 1}'])
    assert row == ({"名称": "杭州", "n": [1, 2.5]}, [1, "杭州", None], '{"a": 1}')
    # Django's own cursors still read jsonb as text (the ORM decodes JSONField itself).
    with connection.cursor() as cursor:
        cursor.execute("SELECT '{\"a\": 1}'::jsonb")
        assert cursor.fetchone() == ('{"a": 1}',)
