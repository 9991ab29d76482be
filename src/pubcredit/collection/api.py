"""Collection API (Art. 13): departments submit batches under the catalog entries they provide.

Authentication: a department's API token (``Authorization: Bearer pct_…``) or a signed-in
officer's session (second factor passed). Rows come as JSON (``{"rows": [...]}``, collected while
the request waits) or as an uploaded file (multipart field ``file``: CSV in UTF-8 or GB18030, JSON
lines, XLSX; kept and collected by a background task, ``collection.queued``).
"""

from __future__ import annotations

from typing import Annotated, Any

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from ninja import Field, Query, Router, Status

from pubcredit.access.readers import Reader, reader_for_request
from pubcredit.catalog import queries as catalog_queries
from pubcredit.catalog.models import Department
from pubcredit.collection import queries, queued, services
from pubcredit.collection.models import Batch, BatchChannel, BatchStatus, Record
from pubcredit.collection.readers import rows_from_dicts
from pubcredit.collection.schemas import BatchListOut, BatchOut, RecordRevokedOut, RevokeByKeyIn, RevokeIn
from pubcredit.errors import InvalidInput, NotFound, NotPermitted
from pubcredit.subjects.schemas import ErrorOut
from pubcredit.textinput import JSON_TOO_DEEP, duplicate_keys, loads_json

router = Router()
MAX_JSON_ROWS = 20_000  # within DATA_UPLOAD_MAX_MEMORY_SIZE (16 MB); a larger batch goes as a file

BATCH_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["rows"],
                "properties": {"rows": {"type": "array", "maxItems": MAX_JSON_ROWS,
                                        "items": {"description": "一行数据，JSON 对象；不是对象的一项作为该行退回"}}}}},
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}},
        },
    },
}


def _department_reader(request: HttpRequest) -> tuple[Reader, Department]:
    reader = reader_for_request(request, channel="api")
    if reader.kind != "officer" or reader.department_id is None:
        raise NotPermitted("需要部门接口令牌或部门工作人员登录才能报送")
    return reader, Department.objects.get(pk=reader.department_id)


def _uploaded_file(request: HttpRequest) -> UploadedFile:
    """The multipart field ``file``, exactly one file.

    A body that is not valid multipart (e.g. no boundary), a body without a file in ``file`` (the
    file sent under another name) and more than one file are 400 naming ``file``: a second file
    is not silently dropped, nor the first.
    """
    try:
        files = request.FILES
    except MultiPartParserError as exc:
        raise InvalidInput(f"multipart/form-data 请求体无法解析：{exc}", field="file") from exc
    sent = sum(len(files.getlist(name)) for name in files)
    if sent > 1:
        raise InvalidInput(f"一次只能上传一个文件（本次 {sent} 个），请放在字段 file 中，分批提交", field="file")
    upload = files.get("file")
    if upload is None:
        other = next(iter(files), None)
        raise InvalidInput("文件应放在 multipart/form-data 的字段 file 中"
                           + (f"（本次在字段 {other} 中）" if other is not None else "（本次没有文件）"),
                           field="file")
    return upload


def batch_out(batch: Batch, *, reader: Reader) -> dict[str, Any]:
    """A batch as the API shows it; ``rejected_csv_url`` only for whom may download that file (the
    submitting department: ``queries.rejected_rows_of``), else null."""
    shown = queries.rejections_of(batch)
    return {
        "id": batch.pk, "entry_code": batch.entry.code, "entry_version": batch.entry_version.number,
        "department": batch.department.code, "channel": batch.channel, "filename": batch.filename,
        "file_digest": batch.file_digest, "status": batch.status, "row_count": batch.row_count,
        "accepted": batch.accepted, "updated": batch.updated,
        "unchanged": batch.unchanged, "rejected": batch.rejected, "error": batch.error,
        "created_at": batch.created_at, "started_at": batch.started_at, "finished_at": batch.finished_at,
        "rejections": [{"row_number": r.row_number, "field": r.field, "reason": r.reason} for r in shown],
        "rejections_truncated": batch.rejected > len(shown),
        "rejected_csv_url": (reverse("api-v1:batch_rejected_csv", args=[batch.pk])
                             if batch.rejected and queries.may_download_rejected(batch, reader) else None),
    }


@router.post(
    "/catalog/{entry_code}/batches",
    response={201: BatchOut, 202: BatchOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="报送一个批次 / Submit a batch (Art. 13)",
    description="Rows are validated against the entry's published catalog version; each row is accepted or "
                "rejected whole (row number, field, reason). Resending the same rows changes nothing (counted "
                "as unchanged); a changed row with the same natural key becomes a new version. JSON rows are "
                "collected while the request waits (201, the finished batch). A file is kept and collected in "
                "the background (202, the batch `received`, its address in `Location`): poll "
                "`GET /api/v1/batches/{id}` (after `Retry-After` seconds) until its status is `completed` or "
                "`failed`. A file whose columns "
                "are not the catalog's is refused at once (400).",
    openapi_extra=BATCH_BODY_DOC,
)
def submit(request: HttpRequest, entry_code: str, response: HttpResponse) -> Status[dict[str, Any]]:
    reader, department = _department_reader(request)
    actor = reader.name or f"dept:{department.code}"
    if request.content_type == "multipart/form-data":
        upload = _uploaded_file(request)
        batch = queued.receive_file(entry_code=entry_code, department=department, upload=upload,
                                    filename=upload.name or "", actor=actor)
        response["Location"] = reverse("api-v1:batch", args=[batch.pk])
        _poll_hint(batch, response)
        return Status(202, batch_out(batch, reader=reader))
    if request.content_type != "application/json":
        raise InvalidInput("请以 application/json（{\"rows\": [...]}）或 multipart/form-data（file）提交",
                           field="body")
    try:
        body = loads_json(request.body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"请求体不是有效的 JSON：{exc}", field="body") from exc
    except RecursionError:
        raise InvalidInput(f"请求体不是有效的 JSON：{JSON_TOO_DEEP}", field="body") from None
    if duplicate_keys(body):
        raise InvalidInput(f"请求体中的键 {'、'.join(duplicate_keys(body))} 出现了不止一次", field="body")
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise InvalidInput("请求体应为 {\"rows\": [ {...}, ... ]}", field="rows")
    if len(rows) > MAX_JSON_ROWS:
        raise InvalidInput(f"一次最多提交 {MAX_JSON_ROWS} 行，大文件请用文件上传", field="rows")
    source = rows_from_dicts(rows)
    batch = services.submit_batch(entry_code=entry_code, department=department, rows=source,
                                  channel=BatchChannel.API, actor=actor)
    return Status(201, batch_out(batch, reader=reader))


@router.get("/batches/{batch_id}", url_name="batch",
            response={200: BatchOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="批次结果 / A batch's status, counts and rejected rows")
def get_batch(request: HttpRequest, batch_id: int, response: HttpResponse) -> dict[str, Any]:
    reader = reader_for_request(request, channel="api")
    batch = queries.batch_for(batch_id, reader=reader)
    _poll_hint(batch, response)
    return batch_out(batch, reader=reader)


#: The most batches one page of ``GET /batches`` lists.
MAX_LIST = 100


@router.get("/batches", response={200: BatchListOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
            summary="本部门的报送批次 / The caller department's batches, newest first",
            description="For a department's program (its token) or officer: the batches it submitted, newest "
                        "first, `limit` at a time; `before_id` (from `next_before_id`) pages back. Filters: "
                        "`entry_code`, `status` (received, processing, completed, failed). A program that lost "
                        "the answer to a file it sent finds its batch here. Other callers: 403.")
def list_batches(
    request: HttpRequest,
    limit: Annotated[int, Query(), Field(ge=1, le=MAX_LIST)] = 20,
    before_id: Annotated[int | None, Query(), Field(ge=1, le=2**63 - 1)] = None,
    entry_code: Annotated[str, Query(), Field(max_length=64)] = "",
    status: Annotated[str, Query(), Field(max_length=12)] = "",
) -> dict[str, Any]:
    _, department = _department_reader(request)
    if status and status not in BatchStatus.values:
        raise InvalidInput(f"未知的批次状态 {status}：可选 {'、'.join(BatchStatus.values)}", field="status")
    page, next_before = queries.batch_page(department.pk, limit=limit, before_id=before_id,
                                           entry_code=entry_code, status=status)
    return {"batches": [_summary(b) for b in page], "next_before_id": next_before}


def _summary(batch: Batch) -> dict[str, Any]:
    return {"id": batch.pk, "entry_code": batch.entry.code, "channel": batch.channel, "filename": batch.filename,
            "file_digest": batch.file_digest, "status": batch.status, "row_count": batch.row_count,
            "accepted": batch.accepted, "updated": batch.updated, "unchanged": batch.unchanged,
            "rejected": batch.rejected, "error": batch.error, "created_at": batch.created_at,
            "finished_at": batch.finished_at}


#: Seconds a department's program is asked to wait before it asks again about a file still waiting.
POLL_SECONDS = 5


def _poll_hint(batch: Batch, response: HttpResponse) -> None:
    """``Retry-After`` while a received file is not collected yet: when to ask again."""
    if batch.status in (BatchStatus.RECEIVED, BatchStatus.PROCESSING):
        response["Retry-After"] = str(POLL_SECONDS)


@router.get("/batches/{batch_id}/rejected.csv", url_name="batch_rejected_csv",
            response={200: None, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
            summary="下载退回行 / Rejected rows as CSV, to fix and resend")
def rejected_csv(request: HttpRequest, batch_id: int) -> StreamingHttpResponse:
    reader = reader_for_request(request, channel="api")
    batch = queries.rejected_rows_of(batch_id, reader=reader)
    response = StreamingHttpResponse(services.rejected_rows_csv(batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-{batch.pk}-rejected.csv"'
    return response


REVOKE_DOC = ("The source department revokes one of its records, with a reason (Art. 13, 34); the record is "
              "kept, marked `revoked`, and a later row with its key is refused. Name the record by its key "
              "fields' values as submitted, in the body: `POST /api/v1/catalog/{entry_code}/records/revoke` "
              "with `{\"key\": {\"CF_WSH\": \"…\"}, \"reason\": \"…\"}` — this works for every key, also one "
              "holding a resident ID (stored as a keyed hash), several fields, or a `/`. The path form "
              "`POST /api/v1/catalog/{entry_code}/records/{natural_key}/revoke` with `{\"reason\": \"…\"}` "
              "takes the stored natural key, or the value of an entry's single key field as submitted (a `/` in "
              "it percent-encoded as `%2F`). Another department's record answers 404, as one that does not exist.")
REVOKE_RESPONSES = {200: RecordRevokedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut,
                    409: ErrorOut}


@router.post("/catalog/{entry_code}/records/revoke", response=REVOKE_RESPONSES,
             summary="按业务主键撤销记录 / The source department revokes a record named by its key fields",
             description=REVOKE_DOC)
def revoke_by_key(request: HttpRequest, entry_code: str, body: RevokeByKeyIn) -> dict[str, Any]:
    reader, department = _department_reader(request)
    if not body.key:
        raise InvalidInput("请在 key 中给出业务主键字段及其值", field="key")
    key_fields = list(catalog_queries.published_version(entry_code).natural_key or [])
    unknown = [name for name in body.key if name not in key_fields]
    if unknown:
        raise InvalidInput(f"{'、'.join(unknown)} 不是目录条目 {entry_code} 的业务主键字段"
                           f"（业务主键：{'、'.join(key_fields)}）", field="key")
    record = services.revoke_record((entry_code, body.key), department=department, reason=body.reason,
                                    actor=reader.name or f"dept:{department.code}")
    return _revoked(entry_code, record)


@router.post("/catalog/{entry_code}/records/{path:natural_key}/revoke", response=REVOKE_RESPONSES,
             summary="撤销记录 / The source department revokes a record, with a reason", description=REVOKE_DOC)
def revoke(request: HttpRequest, entry_code: str, natural_key: str, body: RevokeIn) -> dict[str, Any]:
    reader, department = _department_reader(request)
    actor = reader.name or f"dept:{department.code}"
    try:
        record = services.revoke_record((entry_code, natural_key), department=department, reason=body.reason,
                                        actor=actor)
    except NotFound as missing:
        # Not a stored key: an entry with a single key field takes the value as submitted (a
        # resident ID is stored as its keyed hash, which the department cannot compute).
        key_fields = list(catalog_queries.published_version(entry_code).natural_key or [])
        if len(key_fields) != 1:
            raise
        try:
            record = services.revoke_record((entry_code, {key_fields[0]: natural_key}), department=department,
                                            reason=body.reason, actor=actor)
        except InvalidInput:
            raise missing from None
    return _revoked(entry_code, record)


def _revoked(entry_code: str, record: Record) -> dict[str, Any]:
    return {"id": record.pk, "entry_code": entry_code, "natural_key": record.natural_key, "status": record.status,
            "status_reason": record.status_reason}
