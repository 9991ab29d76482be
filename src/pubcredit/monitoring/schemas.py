"""API shapes for department submission quality (Art. 13, 51). Dates ISO 8601; rates 0–1."""

from __future__ import annotations

from datetime import date

from ninja import Schema


class EntryQualityOut(Schema):
    entry_code: str
    entry_name: str
    frequency: str
    frequency_label: str
    last_submission: date | None
    next_due: date
    due_provisional: bool
    late: bool
    days_overdue: int
    records: int
    batches: int
    rows_received: int
    rows_rejected: int
    rejection_rate: float | None
    lag_limit_workdays: int | None
    lag_checked: int
    late_records: int
    late_share: float | None
    lag_provisional: bool


class ReasonCountOut(Schema):
    field: str
    label: str
    reason: str
    count: int


class MissingFieldOut(Schema):
    entry_code: str
    field: str
    label: str
    count: int


class DepartmentQualityOut(Schema):
    department_code: str
    department_name: str
    today: date
    period_days: int
    period_start: date
    entries: list[EntryQualityOut]
    late_entries: int
    records: int
    batches: int
    rows_received: int
    rows_rejected: int
    rejection_rate: float | None
    lag_checked: int
    late_records: int
    late_share: float | None
    top_reasons: list[ReasonCountOut]
    missing_required: list[MissingFieldOut]
