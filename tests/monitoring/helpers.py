"""Data for the monitoring tests: batches and rejections written directly (the batch service is
not used here), records through the collection factory, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from pubcredit.catalog.models import CatalogVersion
from pubcredit.collection.models import Batch, BatchRejection, BatchStatus, Record
from pubcredit.subjects.models import Subject
from tests.factories import collection as rf

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(d: date, hour: int = 10, minute: int = 0) -> datetime:
    """A local (Asia/Shanghai) instant on day ``d``."""
    return datetime.combine(d, time(hour, minute), tzinfo=SHANGHAI)


def batch(version: CatalogVersion, on: datetime, *, rows: int = 10, rejected: int = 0,
          status: str = BatchStatus.COMPLETED) -> Batch:
    """A processed batch under ``version`` submitted at ``on`` by the entry's department."""
    b = Batch.objects.create(
        entry=version.entry, entry_version=version, department=version.entry.department, channel="api",
        status=status, row_count=rows, accepted=rows - rejected, rejected=rejected, created_by="test",
    )
    Batch.objects.filter(pk=b.pk).update(created_at=on)  # created_at is auto_now_add
    b.refresh_from_db()
    return b


def reject(b: Batch, field: str, reason: str, times: int = 1) -> None:
    BatchRejection.objects.bulk_create(
        BatchRejection(batch=b, row_number=i + 1, field=field, reason=reason, raw={}) for i in range(times)
    )


def record(subject: Subject, version: CatalogVersion, *, decision: date | None, collected: datetime,
           version_number: int = 1) -> Record:
    """A record of ``version`` decided on ``decision`` and collected at ``collected``."""
    rec = rf.record(subject, version, decision=decision or date(2025, 1, 2))
    Record.objects.filter(pk=rec.pk).update(collected_at=collected, decision_date=decision, version=version_number)
    rec.refresh_from_db()
    return rec
