"""Free text typed by people (purposes, reasons, names, search words): one rule for all of it.

PostgreSQL's text cannot hold the NUL character (U+0000): a value with one in it failed at the
database with a 500. ``one_line`` refuses it with a 400 that names the field, and collapses
whitespace as every caller did before.
"""

from __future__ import annotations

from pubcredit.errors import InvalidInput

NUL = "\x00"
NUL_REASON = "含有空字符（U+0000），无法保存；请删除后重试"


def one_line(value: str | None, *, field: str) -> str:
    """``value`` with runs of whitespace made one space and the ends trimmed ("" for None).

    Raises InvalidInput naming ``field`` when it holds a NUL character.
    """
    if value and NUL in value:
        raise InvalidInput(NUL_REASON, field=field)
    return " ".join((value or "").split())


def storable(text: str) -> str:
    """``text`` with any NUL replaced by U+FFFD, for keeping what was refused (a rejected row as
    sent, a reason quoting it) where it must still be saved."""
    return text.replace(NUL, "\ufffd") if NUL in text else text
