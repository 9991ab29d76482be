"""Records' references under concurrency (migration 0008): a delete of a referenced row and a batch
writing records that name it cannot both commit. Two real connections, committed data."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psycopg
import psycopg.errors
import pytest
from django.db import connection

from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog import services as catalog_services
from pubcredit.catalog.models import Department
from pubcredit.collection.models import Record
from pubcredit.subjects.models import Subject
from tests.collection.conftest import ACTOR, PENALTY_DEPT, penalty_row, submit
from tests.factories import subjects as subjects_factory


def _committed_department() -> Department:
    catalog_services.load_initial_catalog(actor=ACTOR)
    return catalog_queries.department_by_code(PENALTY_DEPT)


def _one_record(dept: Department) -> Record:
    batch = submit(dept, [penalty_row()])
    assert batch.accepted == 1
    return Record.objects.get(batch=batch)


def _record_naming(subject_id: int, like: Record) -> str:
    columns = ["entry_id", "entry_version_id", "department_id", "batch_id"]
    return (f"INSERT INTO collection_record (info_class, open_level, source, natural_key, version, status, data, "
            f"content_hash, collected_at, status_reason, subject_id, {', '.join(columns)}) "
            f"VALUES ('adverse', 'public', 'public', 'k-race', 1, 'superseded', '{{}}', 'x', now(), '', {subject_id}, "
            f"{', '.join(str(getattr(like, c)) for c in columns)})")



def _open() -> psycopg.Connection[tuple[object, ...]]:
    params = {k: v for k, v in connection.get_connection_params().items() if k not in ("cursor_factory", "context")}
    conn = psycopg.connect(**params)
    conn.execute("SET lock_timeout = '20s'")
    return conn


def _in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # checked by the test
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


@pytest.mark.django_db(transaction=True)
def test_a_delete_waits_for_a_batch_writing_records_of_that_subject_then_is_refused() -> None:
    like = _one_record(_committed_department())
    subject = subjects_factory.org()
    writer, deleter = _open(), _open()
    try:
        writer.execute(_record_naming(subject.pk, like))  # written and checked, not committed

        def delete() -> None:
            with deleter.transaction():
                deleter.execute("DELETE FROM subjects_subject WHERE id = %s", [subject.pk])

        thread, errors = _in_thread(delete)
        time.sleep(0.5)
        assert thread.is_alive()  # waiting for the writer, not deciding on what it cannot see
        writer.commit()
        thread.join(30)
        assert len(errors) == 1
        assert isinstance(errors[0], psycopg.errors.ForeignKeyViolation)
        assert "still referenced by collection_record.subject_id" in str(errors[0])
    finally:
        writer.close()
        deleter.close()
    assert Subject.objects.filter(pk=subject.pk).exists()
    assert Record.objects.filter(natural_key="k-race", subject_id=subject.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_records_naming_a_subject_being_deleted_wait_and_are_refused() -> None:
    like = _one_record(_committed_department())
    subject = subjects_factory.org()
    writer, deleter = _open(), _open()
    try:
        deleter.execute("DELETE FROM subjects_subject WHERE id = %s", [subject.pk])  # not committed

        def write() -> None:
            with writer.transaction():
                writer.execute(_record_naming(subject.pk, like))

        thread, errors = _in_thread(write)
        time.sleep(0.5)
        assert thread.is_alive()  # kept out until the delete's transaction ends
        deleter.commit()
        thread.join(30)
        assert len(errors) == 1
        assert isinstance(errors[0], psycopg.errors.ForeignKeyViolation)
        assert f"subject_id={subject.pk} does not exist" in str(errors[0])
    finally:
        writer.close()
        deleter.close()
    assert not Subject.objects.filter(pk=subject.pk).exists()
    assert not Record.objects.filter(natural_key="k-race").exists()
