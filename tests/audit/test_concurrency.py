"""Many writers append while a sealer runs; a row committed late still joins the chain.

These tests commit for real (``transaction=True``), each thread on its own connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction

from pubcredit.audit import queries, services
from pubcredit.audit.models import AuditEntry

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_writers_and_two_sealers_make_one_valid_chain() -> None:
    errors: list[BaseException] = []
    writing = threading.Event()
    writing.set()

    def writer(name: str) -> Callable[[], None]:
        def write() -> None:
            for i in range(60):
                with transaction.atomic():  # one operation: up to three entries committed together
                    for j in range(i % 3 + 1):
                        services.record_event("access:query", actor=f"test:{name}", object_id=f"{i}.{j}",
                                              channel="api")
        return write

    def sealer() -> None:
        rounds = 0
        while writing.is_set():
            services.seal(max_rows=7)  # the other sealer may hold the lock: then this round seals nothing
            rounds += 1
            if rounds % 5 == 0 and queries.head() is not None:
                services.checkpoint()
            time.sleep(0.002)

    sealers = [in_thread(sealer, errors) for _ in range(2)]
    writers = [in_thread(writer(name), errors) for name in ("a", "b")]
    for thread in writers:
        thread.join()
    writing.clear()
    for thread in sealers:
        thread.join()
    assert not errors, errors
    services.seal_all()
    services.checkpoint()
    report = queries.verify()
    assert report.ok, report.summary()
    total = 2 * sum(i % 3 + 1 for i in range(60))
    assert (report.entries, report.unsealed) == (total, 0)
    assert sorted(AuditEntry.objects.values_list("seq", flat=True)) == list(range(1, total + 1))


def test_a_row_committed_late_is_sealed_after_rows_with_higher_ids() -> None:
    errors: list[BaseException] = []
    inserted, may_commit = threading.Event(), threading.Event()

    def slow_transaction() -> None:
        with transaction.atomic():
            services.record_event("test:late:first", actor="test:slow")
            inserted.set()
            assert may_commit.wait(10)

    slow = in_thread(slow_transaction, errors)
    assert inserted.wait(10)
    services.record_event("test:late:second", actor="test:fast")  # higher id, committed first
    assert services.seal() == 1  # the uncommitted row is invisible; nothing waits for it
    may_commit.set()
    slow.join()
    assert not errors, errors
    assert services.seal() == 1
    first = AuditEntry.objects.get(event="test:late:first")
    second = AuditEntry.objects.get(event="test:late:second")
    assert first.id < second.id
    assert (second.seq, first.seq) == (1, 2)  # seq order, not id order, is the chain order
    assert first.prev_hash == second.entry_hash
    assert queries.verify().ok
