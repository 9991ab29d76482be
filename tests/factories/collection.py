"""Records written directly (the collection service arrives with issue #3)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pubcredit.catalog.models import CatalogVersion
from pubcredit.collection.models import Record
from pubcredit.collection.rules import content_hash, disclosure_end
from pubcredit.subjects.models import Subject

_seq = iter(range(1, 10**9))


def record(subject: Subject, version: CatalogVersion, *, decision: date = date(2025, 3, 3),
           open_level: str | None = None, data: dict[str, Any] | None = None, status: str = "active") -> Record:
    n = next(_seq)
    payload = data if data is not None else {"CF_WSH": f"杭测罚〔2025〕{n}号", "CF_SY": "经查，测试事实",
                                             "CF_JDRQ": decision.isoformat()}
    return Record.objects.create(
        subject=subject, entry=version.entry, entry_version=version, department=version.entry.department,
        info_class=version.entry.info_class, open_level=open_level or version.open_level, source="public",
        natural_key=str(payload.get("CF_WSH", n)), version=1, status=status, data=payload,
        content_hash=content_hash(payload), decision_date=decision,
        disclosure_until=disclosure_end(decision, version.disclosure_months),
        collected_at=datetime(2025, 3, 5, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
    )
