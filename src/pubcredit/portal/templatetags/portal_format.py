"""Dates and figures as people expect them: 2025年10月14日 in Chinese, 14 Oct 2025 in English;
51,200,000 in both."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

from pubcredit.collection.queries import date_fields

register = template.Library()


@register.filter
def ldate(value: date | datetime | None, with_time: str = "") -> str:
    """Format a date (or datetime, in local time) for the active language; ``|ldate:"time"`` adds HH:MM."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        day: date = local.date()
        clock = f" {local:%H:%M}" if with_time else ""
    else:
        day, clock = value, ""
    if (get_language() or "zh-hans").startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日{clock}"
    return f"{day.day} {day:%b} {day.year}{clock}"


@register.filter
def iso_ldate(value: str) -> str:
    """An ISO date (``2026-08-29``) as ``ldate`` shows it; anything else as it is."""
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return ldate(date.fromisoformat(value))
        except ValueError:
            pass
    return value


@register.filter
def dated(fields: Iterable[tuple[str, str, str]], entry_code: str) -> list[tuple[str, str, str]]:
    """A record's shown fields (the ``(name, label, value)`` triples of ``collection.queries``) with the
    ISO date of each date-typed field of its catalog entry as ``ldate`` shows it (2026年8月29日),
    anything else as it is. For the pages and the PDF only: the API and the report content (digested,
    signed) keep the ISO date."""
    dates = date_fields(entry_code)
    return [(name, label, iso_ldate(value) if name in dates and type(value) is str and len(value) == 10
             and value[4] == "-" else value) for name, label, value in fields]


@register.filter
def grouped(value: int | str | None) -> str:
    """An integer with its digits grouped in threes by commas, in every language: 51,200,000.

    Django's Chinese locale groups nothing (``intcomma`` printed 51200000); GB/T 15835-2011
    (numbers in publications, 4.1.4) allows the comma every three digits, as statistical
    publications use it. Anything that is not an integer is shown as it is."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        number = int(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:,}"
