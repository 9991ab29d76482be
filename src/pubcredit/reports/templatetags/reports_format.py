"""Template filters of the report templates."""

from __future__ import annotations

from django import template

register = template.Library()

_NUMERALS = "一二三四五六七八九十"


@register.filter
def cn_num(n: int) -> str:
    """1 → 一, …, 10 → 十 (section numbers); larger numbers stay Arabic."""
    return _NUMERALS[n - 1] if 1 <= n <= len(_NUMERALS) else str(n)
