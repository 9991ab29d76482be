"""Reads of credit records, always for given open levels (decided by access.readers)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet

from pubcredit.access.readers import Reader
from pubcredit.codes import mask_resident_id
from pubcredit.collection.models import Batch, BatchRejection, Record, RecordStatus
from pubcredit.errors import NotFound

CLASS_ORDER = ("basic", "adverse", "trustworthy")


@dataclass(frozen=True)
class FieldValue:
    name: str
    label: str
    value: str


@dataclass(frozen=True)
class RecordView:
    id: int
    entry_code: str
    entry_name: str
    info_class: str
    open_level: str
    source: str
    department: str
    decision_date: date | None
    disclosure_until: date | None
    version: int
    fields: list[FieldValue] = field(default_factory=list)


def _display(value: Any, spec: dict[str, Any], *, full_identity: bool) -> str:
    if value is None or value == "":
        return ""
    if spec.get("type") == "resident_id" and not full_identity:
        return mask_resident_id(str(value))
    labels = spec.get("allowed_labels")
    if spec.get("type") == "enum" and isinstance(labels, dict) and str(value) in labels:
        return f"{labels[str(value)]}（{value}）"
    return str(value)


def visible_records(subject_id: int, *, levels: Iterable[str], today: date, entries: Iterable[str] | None = None,
                    full_identity: bool = False) -> list[RecordView]:
    """Active records of a subject at the given open levels, still within disclosure.

    Public records are always included; records of other levels only at ``levels`` and, when
    ``entries`` is given, only of those catalog entries (an application-list matter, Art. 27).
    Adverse information past its disclosure period is no longer disclosed (Art. 36; Zhejiang
    rule of 5 years by default, set per catalog entry).
    """
    other_levels = [lv for lv in levels if lv != "public"]
    allowed = Q(open_level="public")
    if other_levels:
        extra = Q(open_level__in=other_levels)
        if entries is not None:
            extra &= Q(entry__code__in=list(entries))
        allowed |= extra
    rows = (
        Record.objects.filter(allowed, subject_id=subject_id, status=RecordStatus.ACTIVE)
        .filter(Q(disclosure_until__isnull=True) | Q(disclosure_until__gte=today))
        .select_related("entry", "entry_version", "department")
        .order_by("-decision_date", "-id")
    )
    out: list[RecordView] = []
    for r in rows:
        specs = r.entry_version.fields or []
        shown = [
            FieldValue(s["name"], s.get("label", s["name"]), _display(r.data.get(s["name"]), s,
                                                                     full_identity=full_identity))
            for s in specs
            if s["name"] in r.data and r.data.get(s["name"]) not in (None, "")
        ]
        out.append(RecordView(
            id=r.pk, entry_code=r.entry.code, entry_name=r.entry.name, info_class=r.info_class,
            open_level=r.open_level, source=r.source, department=r.department.name,
            decision_date=r.decision_date, disclosure_until=r.disclosure_until, version=r.version, fields=shown,
        ))
    return out


def count_records() -> int:
    return Record.objects.filter(status=RecordStatus.ACTIVE).count()


# --- batches -------------------------------------------------------------------------------------

SUPERVISORS = ("operator", "auditor")
MAX_REJECTIONS_SHOWN = 1000


def batch_for(batch_id: int, *, reader: Reader) -> Batch:
    """The batch if the reader's department submitted it (or the reader supervises); NotFound otherwise.

    A batch of another department answers NotFound, not NotPermitted, so ids cannot be probed.
    """
    batch = Batch.objects.select_related("entry", "department", "entry_version").filter(pk=batch_id).first()
    if batch is None or (reader.kind not in SUPERVISORS and batch.department_id != reader.department_id):
        raise NotFound(f"未找到报送批次 #{batch_id}")
    return batch


def batches_of_department(department_id: int) -> QuerySet[Batch]:
    return Batch.objects.filter(department_id=department_id).select_related("entry").order_by("-created_at", "-id")


def rejections_of(batch: Batch, *, limit: int = MAX_REJECTIONS_SHOWN) -> list[BatchRejection]:
    return list(BatchRejection.objects.filter(batch=batch).order_by("row_number", "id")[:limit])
