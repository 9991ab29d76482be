"""``{% workday_schedule_reminder %}``: the sentence asking operators to load a year's holiday
schedule, or "" (``workdays.services.schedule_reminder``)."""

from __future__ import annotations

from django import template

from pubcredit.workdays import services

register = template.Library()


@register.simple_tag
def workday_schedule_reminder() -> str:
    return services.schedule_reminder()
