"""``/api/v1/subjects``: look-up of a subject and the information the caller may see."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from pubcredit.access import queries as access_queries
from pubcredit.access.schemas import QueryLogPage
from pubcredit.subjects import queries
from pubcredit.subjects.schemas import ErrorOut, SubjectDetailOut

router = Router()


@router.get(
    "/{code}",
    response={200: SubjectDetailOut, 400: ErrorOut, 404: ErrorOut},
    summary="主体信息 / A subject and its visible records",
    description=(
        "Look up a subject by its unified social credit code (18 characters, GB 32100-2015) or "
        "resident ID number (GB 11643-1999). Answers 400 with the reason for a malformed code "
        "and 404 for a well-formed code the platform does not know. Only the open levels the "
        "caller may see are returned (anonymous callers: public information only). As in the "
        "credit report, good information the subject had concealed (Art. 35) is left out, and each "
        "record lists its `marks` (异议处理中 while an objection is handled, Art. 34; 自主申报 on "
        "self-declared information; an empty list for most records)."
    ),
)
def get_subject(request: HttpRequest, code: str) -> dict[str, Any]:
    reader, subject = queries.reader_and_subject(request, code, channel="api")
    prof, marks = queries.shown_profile(subject, reader=reader)
    out = {k: v for k, v in asdict(prof.subject).items() if k != "ref"}
    out["relations"] = [asdict(r) for r in prof.relations]
    for info_class in ("basic", "adverse", "trustworthy"):
        out[info_class] = [r.as_dict() | {"marks": list(marks.get(r.id, ()))}
                           for r in prof.records.get(info_class, [])]
    out["levels"] = sorted(prof.levels)
    return out


@router.get(
    "/{code}/query-log",
    response={200: QueryLogPage, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="谁查询了我 / The subject's query log (Art. 33)",
    description="Every non-public read of the subject: who, which levels and entries, why, when, how. "
                "Only for the subject itself (logged in) and supervisors.",
)
def query_log(request: HttpRequest, code: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    reader, subject = queries.reader_and_subject(request, code, channel="api")
    rows = access_queries.query_log_for(subject.pk, reader=reader)
    limit = max(1, min(limit, 500))
    offset = max(0, min(offset, 2**31))  # beyond any log; PostgreSQL's OFFSET is a bigint
    items = [
        {"at": r.at, "reader_kind": r.reader_kind, "reader_name": r.reader_name, "levels": r.levels,
         "entries": r.entries, "purpose": r.purpose, "matter": r.matter.name if r.matter else None,
         "authorization_id": r.authorization_id, "channel": r.channel,
         "reader_label": r.reader_label, "level_labels": r.level_labels, "channel_label": r.channel_label}
        for r in rows[offset: offset + limit]
    ]
    return {"items": items, "count": rows.count()}
