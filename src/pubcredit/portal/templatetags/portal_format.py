"""Dates and figures as people expect them: 2025年10月14日 in Chinese, 14 Oct 2025 in English;
51,200,000 in both."""

from __future__ import annotations

from datetime import date, datetime

from django import template
from django.utils import timezone
from django.utils.translation import get_language

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
