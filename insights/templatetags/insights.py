"""How Insights shows its numbers: durations in minutes, hours or days; rates as percentages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def duration(hours: float | None) -> str:
    """2.5 → "2.5 h", 0.25 → "15 min", 60 → "2.5 d"; None → "—" (nothing to measure)."""
    if hours is None:
        return "—"
    if round(hours * 60) < 60:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


@register.filter
def figure(value: float | None, unit: str) -> str:
    """A headline figure in its unit."""
    if value is None:
        return "—"
    if unit == "hours":
        return duration(value)
    if unit == "%":
        return f"{value:.1f} %"
    return f"{value:.1f} {unit}"
