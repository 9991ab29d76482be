"""Template filters of the report templates."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from pubcredit.portal.templatetags.portal_format import dated

register = template.Library()

_NUMERALS = "一二三四五六七八九十"


@register.filter
def cn_num(n: int) -> str:
    """1 → 一, …, 10 → 十 (section numbers); larger numbers stay Arabic."""
    return _NUMERALS[n - 1] if 1 <= n <= len(_NUMERALS) else str(n)


#: A value longer than this (in characters) gets a row of its own in a PDF record table.
WIDE_VALUE = 18


@register.filter
def field_rows(fields: Iterable[tuple[str, str, str]], entry_code: str) -> list[tuple[tuple[str, str], ...]]:
    """A record's shown fields, two (label, value) pairs to a row of the PDF's record table, the values
    as the pages show them (``dated``: a date field of the record's entry as a date in Chinese).

    Catalog order is kept, reading left to right: a long value (over ``WIDE_VALUE`` characters,
    e.g. the facts of a penalty) takes a row of its own, and a field left without a partner
    before it does too. A row of one pair spans the table.
    """
    rows: list[tuple[tuple[str, str], ...]] = []
    waiting: tuple[str, str] | None = None
    for _name, label, value in dated(fields, entry_code):  # a date field's ISO date as 2026年8月29日
        pair = (label, value)
        if len(value) > WIDE_VALUE:
            if waiting is not None:
                rows.append((waiting,))
                waiting = None
            rows.append((pair,))
        elif waiting is None:
            waiting = pair
        else:
            rows.append((waiting, pair))
            waiting = None
    if waiting is not None:
        rows.append((waiting,))
    return rows
