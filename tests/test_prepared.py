"""pubcredit.prepared: PREPARE once per database session, then EXECUTE; the same rows as plain SQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from pubcredit import prepared

pytestmark = pytest.mark.django_db

SQL = "SELECT %s::int + 1, %s::text WHERE %s"


def _run(name: str, params: list[object]) -> tuple[list[tuple[object, ...]], list[str]]:
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        prepared.execute(cursor, name, SQL, params)
        rows = cursor.fetchall()
    return rows, [q["sql"] for q in captured.captured_queries]


def test_a_statement_is_prepared_once_per_session_then_executed() -> None:
    rows, sent = _run("pc_test_once", [41, "a", True])
    assert rows == [(42, "a")]
    assert sent[0].startswith("PREPARE pc_test_once AS SELECT $1::int + 1, $2::text WHERE $3")
    assert sent[-1].startswith("EXECUTE pc_test_once(")
    rows, sent = _run("pc_test_once", [1, "b", False])
    assert rows == []
    assert len(sent) == 1
    assert sent[0].startswith("EXECUTE pc_test_once(")


@pytest.mark.django_db(transaction=True)  # no test transaction: the connection is closed and opened again
def test_a_new_connection_prepares_again() -> None:
    _run("pc_test_reconnect", [1, "x", True])
    connection.close()
    rows, sent = _run("pc_test_reconnect", [2, "y", True])
    assert rows == [(3, "y")]
    assert sent[0].startswith("PREPARE pc_test_reconnect")


def test_a_failing_execute_leaves_the_statement_usable() -> None:
    from django.db import DataError, transaction

    with pytest.raises(DataError), transaction.atomic():
        _run("pc_test_failing", ["not a number", "x", True])
    rows, _ = _run("pc_test_failing", [5, "z", True])
    assert rows == [(6, "z")]


def test_switched_off_it_runs_plain_sql() -> None:
    with override_settings(PUBCREDIT_PREPARED_STATEMENTS=False):
        rows, sent = _run("pc_test_off", [1, "p", True])
    assert rows == [(2, "p")]
    assert len(sent) == 1
    assert sent[0].startswith("SELECT 1::int + 1")


def test_bad_names_placeholders_and_percent_signs_are_refused() -> None:
    with connection.cursor() as cursor:
        with pytest.raises(ValueError, match="statement name"):
            prepared.execute(cursor, "x; DROP TABLE y", SQL, [1, "a", True])
        with pytest.raises(ValueError, match="placeholders"):
            prepared.execute(cursor, "pc_test_count", SQL, [1])
        with pytest.raises(ValueError, match="%"):
            prepared.execute(cursor, "pc_test_percent", "SELECT 'a%%' || %s", ["b"])
