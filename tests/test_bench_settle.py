"""tests.bench.settle: a benchmark quiets the server first (checkpoint, autovacuum) and says what it did."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection

from tests.bench import settle

pytestmark = pytest.mark.django_db(transaction=True)


def _cursors(workers: Iterator[int], *, refuse_checkpoint: bool = False) -> Callable[[], Any]:
    """A stand-in for ``connection.cursor``: real statements, except that each poll of the
    autovacuum workers answers the next of ``workers``, and CHECKPOINT may be refused."""
    real_cursor = connection.cursor

    class Cursor:
        def __init__(self) -> None:
            self.cursor = real_cursor()

        def __enter__(self) -> Cursor:
            return self

        def __exit__(self, *exc: object) -> None:
            self.cursor.close()

        def execute(self, sql: str, params: Any = None) -> None:
            if sql == "CHECKPOINT" and refuse_checkpoint:
                raise DatabaseError("must be superuser or have privileges of pg_checkpoint to do CHECKPOINT")
            if sql == settle.AUTOVACUUM_WORKERS_SQL:
                sql = f"SELECT {next(workers)}"
            self.cursor.execute(sql, params)

        def fetchone(self) -> Any:
            return self.cursor.fetchone()

    return Cursor


def test_settle_checkpoints_and_does_not_wait_when_no_autovacuum_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "cursor", _cursors(iter([0])))
    figures = settle.settle(connection, timeout=5)
    assert figures["checkpoint_seconds"] is not None  # the test role may checkpoint (superuser here)
    assert figures["autovacuum_workers_left"] == 0
    assert figures["autovacuum_wait_seconds"] < 5
    assert settle.describe(figures).startswith("settling the server: checkpoint ")


def test_settle_waits_for_running_autovacuum_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    polls = iter([2, 1, 0])
    monkeypatch.setattr(connection, "cursor", _cursors(polls))
    figures = settle.settle(connection, timeout=30, poll=0.01)
    assert figures["autovacuum_workers_left"] == 0
    assert next(polls, "drained") == "drained"  # it polled until the workers were gone


def test_settle_gives_up_after_its_timeout_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "cursor", _cursors(iter([3] * 10_000)))
    figures = settle.settle(connection, timeout=0.05, poll=0.01)
    assert figures["autovacuum_workers_left"] == 3
    assert "3 workers still running" in settle.describe(figures)


def test_a_refused_checkpoint_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connection, "cursor", _cursors(iter([0]), refuse_checkpoint=True))
    figures = settle.settle(connection, timeout=1)
    assert figures["checkpoint_seconds"] is None
    assert "checkpoint not permitted" in settle.describe(figures)


def test_vacuum_scratch_runs_outside_a_transaction() -> None:
    assert settle.vacuum_scratch(connection) >= 0
