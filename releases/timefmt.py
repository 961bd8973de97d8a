"""Times as people read them: in the display time zone (settings.TIME_ZONE), zone named."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def format_time(dt: datetime) -> str:
    """Like "2026-11-27 16:00 CET". Stored times are UTC, and an email has no page around it
    to say which zone a bare time is in."""
    local = timezone.localtime(dt)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
