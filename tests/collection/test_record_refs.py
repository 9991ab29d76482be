"""Records' references are checked per statement (migration 0005): same guarantees as foreign keys."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from pubcredit.catalog.models import Department
from pubcredit.collection.models import Record
from tests.collection.conftest import penalty_row, submit

pytestmark = pytest.mark.django_db


def _one_record(dept: Department) -> Record:
    batch = submit(dept, [penalty_row()])
    assert batch.accepted == 1
    return Record.objects.get(batch=batch)


def _copy_of(record: Record, **changes: object) -> str:
    columns = ["subject_id", "entry_id", "entry_version_id", "department_id", "batch_id"]
    values = {c: getattr(record, c) for c in columns} | changes
    return (f"INSERT INTO collection_record (info_class, open_level, source, natural_key, version, status, data, "
            f"content_hash, collected_at, status_reason, {', '.join(columns)}) "
            f"VALUES ('adverse', 'public', 'public', 'k-copy', 1, 'superseded', '{{}}', 'x', now(), '', "
            f"{', '.join('NULL' if values[c] is None else str(values[c]) for c in columns)})")


@pytest.mark.parametrize("column", ["subject_id", "entry_id", "entry_version_id", "department_id", "batch_id"])
def test_insert_naming_a_missing_row_is_refused(dept: Department, column: str) -> None:
    record = _one_record(dept)
    with pytest.raises(IntegrityError, match=f"{column}=987654321 does not exist"), transaction.atomic(), \
            connection.cursor() as cur:
        cur.execute(_copy_of(record, **{column: 987654321}))


def test_valid_insert_and_null_batch_pass(dept: Department) -> None:
    record = _one_record(dept)
    with connection.cursor() as cur:
        cur.execute(_copy_of(record, batch_id=None))
    assert Record.objects.filter(natural_key="k-copy", batch__isnull=True).count() == 1


def test_update_to_a_missing_subject_is_refused(dept: Department) -> None:
    record = _one_record(dept)
    with pytest.raises(IntegrityError, match="subject_id=987654321"), transaction.atomic():
        Record.objects.filter(pk=record.pk).update(subject_id=987654321)
    record.refresh_from_db()
    assert record.subject_id != 987654321


@pytest.mark.parametrize(("table", "column"), [("subjects_subject", "subject_id"),
                                               ("catalog_catalogversion", "entry_version_id"),
                                               ("catalog_department", "department_id"),
                                               ("collection_batch", "batch_id")])
def test_deleting_a_referenced_row_is_refused(dept: Department, table: str, column: str) -> None:
    record = _one_record(dept)
    with pytest.raises(IntegrityError, match=f"still referenced by collection_record.{column}"), \
            transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} WHERE id = %s", [getattr(record, column)])
    assert Record.objects.filter(pk=record.pk).exists()
