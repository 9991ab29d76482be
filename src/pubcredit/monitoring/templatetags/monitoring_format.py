"""Template filters for the quality pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None) -> str:
    """A 0–1 fraction as a percentage with one decimal (0.0325 → "3.3%"); "—" when None."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
