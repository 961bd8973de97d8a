"""Times as people read them, with the zone named: on pages in the reader's zone (the one
`releases.zones` activates for the request), in emails in each recipient's."""

from __future__ import annotations

from datetime import datetime

from notifications import times


def format_time(dt: datetime) -> str:
    """Like "2026-11-27 16:00 CET", in the active zone: for what a page or a message shows."""
    return times.shown(dt)


def mail_time(dt: datetime) -> str:
    """A time in an email's text: written out in each recipient's zone when it is rendered."""
    return times.at(dt)
