"""Batch queries on the API (Art. 40), mounted at ``/batch-queries``: post codes, poll, download.

Only a credit agency's or a department's API token may use them, and only the organisation
that posted a job may read it (another's job answers 404). See ``reports.batch``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.urls import reverse
from ninja import Router, Schema, Status

from pubcredit.access import tokens
from pubcredit.access.readers import Reader, edge_parameters, reader_for_owner
from pubcredit.errors import NotPermitted
from pubcredit.reports import batch
from pubcredit.reports.models import BatchQuery
from pubcredit.subjects.schemas import ErrorOut

router = Router()


class ProgressOut(Schema):
    done: int
    total: int


class CountsOut(Schema):
    found: int
    not_found: int
    invalid: int
    duplicates: int


class ResultLinksOut(Schema):
    jsonl: str
    csv: str


class BatchQueryOut(Schema):
    id: str
    status: str  # queued | running | done | failed
    status_label: str
    format: str  # jsonl | csv: the default of the results download
    progress: ProgressOut
    counts: CountsOut
    as_of: date | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    results: ResultLinksOut | None  # when done, until the answers are deleted
    results_kept_until: datetime | None  # when done: the answers are deleted after this
    results_deleted_at: datetime | None


def _out(job: BatchQuery) -> dict[str, Any]:
    results = None
    if job.status == "done" and job.results_deleted_at is None:
        url = reverse("api-v1:batch_query_results", args=[str(job.public_id)])
        results = {"jsonl": f"{url}?format=jsonl", "csv": f"{url}?format=csv"}
    return {
        "id": str(job.public_id), "status": job.status, "status_label": job.get_status_display(),
        "format": job.format, "progress": {"done": job.done, "total": job.total},
        "counts": {"found": job.found, "not_found": job.not_found, "invalid": job.invalid,
                   "duplicates": job.duplicates},
        "as_of": job.as_of, "created_at": job.created_at, "started_at": job.started_at,
        "finished_at": job.finished_at, "error": job.error, "results": results,
        "results_kept_until": batch.results_kept_until(job), "results_deleted_at": job.results_deleted_at,
    }


def _token_owner(request: HttpRequest) -> tuple[Reader, int]:
    """The reader of an API token and the token's id; batch queries are a machine interface, not a
    session one."""
    matter, purpose, secret = edge_parameters(request)
    if secret is None:
        raise NotPermitted("批量查询须使用信用服务机构或部门的接口令牌（Authorization: Bearer …）")
    owner = tokens.authenticate(secret)
    return reader_for_owner(owner, matter=matter, purpose=purpose, channel="batch"), owner.token_id


def _token_reader(request: HttpRequest) -> Reader:
    return _token_owner(request)[0]


_ERRORS: dict[int, Any] = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {
                "type": "object", "required": ["codes"],
                "properties": {
                    "codes": {"type": "array", "items": {"type": "string"}, "maxItems": batch.MAX_CODES,
                              "description": "USCCs or resident ID numbers"},
                    "format": {"type": "string", "enum": list(batch.FORMATS), "default": "jsonl"},
                },
            }},
            "text/csv": {"schema": {"type": "string", "description": (
                "one code per line (first column); a first line without digits is a header; blank lines are "
                "skipped but keep their line numbers; `?format=` sets the result format")}},
        },
    },
}


@router.post(
    "", response={202: BatchQueryOut, **_ERRORS}, openapi_extra=_BODY,
    summary="批量查询 / Post a batch query (Art. 40)",
    description=(
        f"Up to {batch.MAX_CODES} codes, answered in the background: the answer is the job (202) to poll. "
        "Each found subject's result holds only what the caller may see — public information, plus authorised "
        "information of the subjects that authorised the caller's organisation (agency token), or what the "
        "matter lists (department token with `?matter=…&purpose=…`) — and each non-public read is logged in "
        "that subject's query log like a single query. Invalid codes come back as per-line errors, unknown "
        "valid codes as `not_found` lines, repeated codes as `duplicate` lines. Too many codes: 400 naming "
        "`codes`."),
)
def submit(request: HttpRequest) -> Status[dict[str, Any]]:
    reader, token_id = _token_owner(request)
    body = request.read(batch.MAX_BODY_BYTES + 1)
    parsed = batch.parse_request(body, content_type=request.content_type or "",
                                 fmt=request.GET.get("format"))
    job = batch.submit_batch_query(parsed, reader=reader, token_id=token_id)
    return Status(202, _out(job))


@router.get("/{job_id}", response={200: BatchQueryOut, **_ERRORS},
            summary="批量查询进度 / A batch query's status and progress",
            description="Status (queued, running, done, failed), progress (done/total lines), counts, and the "
                        "result links once done. Only for the organisation that posted it (else 404).")
def status(request: HttpRequest, job_id: str) -> dict[str, Any]:
    return _out(batch.job_for(job_id, reader=_token_reader(request)))


@router.get(
    "/{job_id}/results", response={200: None, **_ERRORS, 409: ErrorOut, 410: ErrorOut}, url_name="batch_query_results",
    summary="批量查询结果 / Download a batch query's results",
    description=(
        "Streams the results in input order. `format=jsonl` (default: the job's): one JSON object per line "
        "with `line`, `code` (as given), `status` (found, not_found, invalid, duplicate), `reason` for the "
        "others, and for found subjects `as_of`, `subject`, `reader`, `levels`, `sections` — the same as the "
        "`content` of the single report (`GET /api/v1/subjects/{code}/report`). `format=csv`: UTF-8 with BOM, "
        f"columns {', '.join(batch.CSV_COLUMNS)}; one row per report item. 409 until the job is done. The answers "
        "are kept for a set number of days after the job finishes (30 by default: `results_kept_until` in the "
        "job); then they are deleted and this answers 410."),
    openapi_extra={"responses": {200: {"description": "The results", "content": {
        "application/x-ndjson": {"schema": {"type": "string"}}, "text/csv": {"schema": {"type": "string"}}}}}},
)
def results(request: HttpRequest, job_id: str) -> StreamingHttpResponse:
    job = batch.job_for(job_id, reader=_token_reader(request))
    fmt = batch.result_format(job, request.GET.get("format"))
    if fmt == "csv":
        response = StreamingHttpResponse(batch.csv_results(job), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(batch.jsonl_results(job), content_type="application/x-ndjson; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="batch-query-{job.public_id}.{fmt}"'
    response["Cache-Control"] = "private, no-store"  # what the agency may see, as a single report: never cached
    return response
