"""API shapes of credit reports. ``ReportContentOut`` is exactly the content that is digested:
post a report's JSON back to ``POST /api/v1/reports/verify/{code}`` and it compares equal."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from pubcredit.apitypes import IsoDate
from pubcredit.subjects.schemas import FieldOut


class ReportItemOut(Schema):
    origin: str  # record | list | commitment
    record_id: int | None
    version: int | None
    entry_code: str
    entry_name: str
    info_class: str
    department: str
    decision_date: date | None
    disclosure_until: date | None
    open_level: str
    source: str
    marks: list[str]  # e.g. 自主申报, 异议处理中
    fields: list[FieldOut]


class ReportSectionOut(Schema):
    key: str  # basic | adverse | trustworthy | lists | commitments | self_declared
    title: str
    note: str
    items: list[ReportItemOut]


class RelationItemOut(Schema):
    role: str
    role_label: str
    name: str
    code: str


class ReportSubjectOut(Schema):
    name: str
    code: str
    kind: str
    kind_label: str
    region_code: str
    region_name: str
    verified: bool
    relations: list[RelationItemOut]


class ReportReaderOut(Schema):
    basis: str  # public | own | authorized | government
    label: str
    name: str


class SpecialClassOut(Schema):
    code: str
    label: str
    status: str  # found | none | not_collected | not_applicable | not_covered
    statement: str
    entries: list[str]
    uncovered_entries: list[str]
    items: list[ReportItemOut]


class SpecialScopeOut(Schema):
    date_from: date
    date_to: date
    classes: list[SpecialClassOut]


class ReportContentOut(Schema):
    format: str
    kind: str  # full | special
    title: str
    as_of: date
    subject: ReportSubjectOut
    reader: ReportReaderOut
    levels: list[str]
    level_labels: list[str]
    sections: list[ReportSectionOut]
    special: SpecialScopeOut | None
    notes: list[str]


class VerificationBlockOut(Schema):
    code: str
    issued_at: datetime
    digest: str
    algorithm: str
    signature: str
    key_id: str
    signed_message: str


class ReportLinksOut(Schema):
    pdf: str
    verify: str


class ReportOut(Schema):
    content: ReportContentOut
    verification: VerificationBlockOut
    links: ReportLinksOut


class VerificationOut(Schema):
    code: str
    kind: str
    kind_label: str
    issued_at: datetime
    as_of: date
    subject_name: str
    subject_code: str
    reader_basis: str
    reader_label: str
    parameters: dict[str, Any]
    digest: str
    signature: str
    key_id: str
    algorithm: str
    public_key: str
    signature_valid: bool
    class_labels: list[str] = Field(default_factory=list,
                                    description="A special report's classes (`parameters.classes`) by name: it "
                                                "covers these and no others.")
    signed_fields: list[str] = Field(
        default_factory=list,
        description="The fields above the signature covers: all of code, digest, subject_code, issued_at, kind, "
                    "as_of, reader_basis, subject_name and parameters for reports signed in format v2; only the "
                    "first four for reports issued before it (the others are shown as stored).")


class SpecialParams(Schema):
    """Query of a special report: ``from``, ``to`` (ISO dates) and ``classes`` (comma-separated)."""

    date_from: IsoDate | None = Field(None, alias="from")
    date_to: IsoDate | None = Field(None, alias="to")
    classes: str | None = None


class VerifyIn(Schema):
    """The report in hand: its JSON (``content``, or the whole GET answer) or just its digest."""

    content: dict[str, Any] | None = None
    digest: str | None = None


class ComparisonOut(Schema):
    consistent: bool
    verdict: str  # 一致 / 不一致
    expected_digest: str
    given_digest: str
    signature_valid: bool


class RetiredKeyOut(Schema):
    key_id: str
    public_key: str
    pem: str
    retired_at: datetime | None  # a report this key signs claiming a later issue time is not genuine


class PublicKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key: str
    pem: str
    signed_message: str
    retired: list[RetiredKeyOut]  # earlier report keys: the reports they signed still verify


class PdfPendingOut(Schema):
    """202: a large report's PDF is being rendered; ask the same address again after ``retry_after``
    seconds (also the ``Retry-After`` header). The report is already issued: same verification code."""

    code: str  # pdf_pending
    message: str
    retry_after: int
    verification_code: str
    items: int  # records the report lists
