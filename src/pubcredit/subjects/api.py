"""``/api/v1/subjects``: look-up of a subject and the information the caller may see."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Router

from pubcredit.access.readers import reader_for_user
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
        "caller may see are returned (anonymous callers: public information only)."
    ),
)
def get_subject(request: HttpRequest, code: str) -> dict[str, Any]:
    reader = reader_for_user(request.user, channel="api")
    subject = queries.subject_by_code(code)
    prof = queries.profile(subject, reader=reader)
    out = {k: v for k, v in asdict(prof.subject).items() if k != "ref"}
    out["relations"] = [asdict(r) for r in prof.relations]
    for info_class in ("basic", "adverse", "trustworthy"):
        out[info_class] = [asdict(r) for r in prof.records.get(info_class, [])]
    out["levels"] = sorted(prof.levels)
    return out
