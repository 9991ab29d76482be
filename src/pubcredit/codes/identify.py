"""Tell a USCC from a resident ID number: one rule for every entry point (API, pages, CLI)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pubcredit.codes.errors import CodeError
from pubcredit.codes.resident_id import validate_resident_id
from pubcredit.codes.uscc import validate_uscc

PERSON_SHAPE = re.compile(r"^\d{17}[\dX]$")


@dataclass(frozen=True)
class IdentifiedCode:
    kind: str  # "uscc" or "resident_id"
    code: str


def identify_code(raw: str, *, today: date) -> IdentifiedCode:
    """Validate an 18-character code as a USCC or a resident ID number, whichever it is.

    An all-digit string may be either, so both readings are tried; when both fail, the error of
    the reading that got further is raised: a USCC whose only fault is its check character, or a
    string whose first digits cannot begin an ID number, is reported as a USCC. The raised
    ``CodeError`` carries ``kind``; its ``code_kind`` attribute says which reading it is about.
    """
    code = (raw or "").strip().upper()
    try:
        return IdentifiedCode("uscc", validate_uscc(code).code)
    except CodeError as exc:
        uscc_error = exc.with_traceback(None)  # the reason, not the frames
    if PERSON_SHAPE.match(code):
        try:
            return IdentifiedCode("resident_id", validate_resident_id(code, today=today).code)
        except CodeError as exc:
            if uscc_error.kind != "check_character" and exc.kind != "region":
                exc.code_kind = "resident_id"  # type: ignore[attr-defined]
                raise
    uscc_error.code_kind = "uscc"  # type: ignore[attr-defined]
    raise uscc_error
