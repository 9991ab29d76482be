"""API shapes for collection batches."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class BatchIn(Schema):
    rows: list[dict[str, Any]] = Field(..., description="数据行：每行一个 JSON 对象，键为目录字段名",
                                       max_length=100_000)


class RejectionOut(Schema):
    row_number: int
    field: str
    reason: str


class BatchSummaryOut(Schema):
    """A batch in a department's list: what ``GET /batches/{id}`` says, without the rejected rows."""

    id: int
    entry_code: str
    channel: str
    filename: str
    file_digest: str = Field(description="SHA-256 of the file as received (empty for JSON rows)")
    status: str = Field(description="received → processing → completed, or failed (see error)")
    row_count: int = Field(description="rows in the file; while processing, the rows read so far")
    accepted: int
    updated: int
    unchanged: int
    rejected: int
    error: str
    created_at: datetime
    finished_at: datetime | None


class BatchOut(BatchSummaryOut):
    """One batch: its summary, the catalog version and department, and the rejected rows."""

    entry_version: int
    department: str
    started_at: datetime | None
    rejections: list[RejectionOut]
    rejections_truncated: bool
    rejected_csv_url: str | None


class RevokeIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


class RevokeByKeyIn(Schema):
    key: dict[str, str | int] = Field(
        ..., description="业务主键字段及其值，与报送时相同，例如 {\"CF_WSH\": \"杭市监罚〔2025〕1号\"}；"
                         "含身份证号或由多个字段组成的主键也按报送时的值填写")
    reason: str = Field(..., min_length=1, max_length=500)


class RecordRevokedOut(Schema):
    id: int
    entry_code: str
    natural_key: str
    status: str
    status_reason: str


class BatchListOut(Schema):
    batches: list[BatchSummaryOut]
    next_before_id: int | None = Field(description="pass as before_id for the next (older) page; null at the end")
