"""API shapes for subjects. Dates are ISO 8601; person codes are masked unless entitled."""

from __future__ import annotations

from datetime import date

from ninja import Field, Schema


class FieldOut(Schema):
    name: str
    label: str
    value: str


class RecordOut(Schema):
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
    fields: list[FieldOut]
    marks: list[str] = Field(
        description="The record's marks, as the credit report shows them: 异议处理中 while an objection is "
                    "handled (Art. 34), 自主申报 on self-declared information, later 已修复 …; empty for most records.",
    )


class RelationOut(Schema):
    role: str
    role_label: str
    name: str
    code: str


class SubjectOut(Schema):
    code: str
    kind: str
    kind_label: str
    name: str
    region_code: str
    verified: bool


class SubjectDetailOut(SubjectOut):
    relations: list[RelationOut]
    basic: list[RecordOut]
    adverse: list[RecordOut]
    trustworthy: list[RecordOut]
    levels: list[str]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None


class BusyOut(ErrorOut):
    """503: the platform will take the request later; ``retry_after`` (also the header) says when."""

    retry_after: int
