"""Times in emails, shown in each recipient's own time zone.

A notice's text is written once, by the service that sends it, for all its recipients; each of
them may read times in another zone. So the text carries a moment as a token (`at()`), and the
outbox writes it out per recipient, with the zone named (`resolve()`), when it renders the email
under that recipient's zone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.utils import timezone

_TOKEN = re.compile(r"\[\[at:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)Z\]\]")


def at(moment: datetime) -> str:
    """A moment, to be shown in the reader's zone (minute precision)."""
    return f"[[at:{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%S}Z]]"


def shown(moment: datetime) -> str:
    """Like "2026-11-27 16:00 CET", in the active zone."""
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def resolve(text: str) -> str:
    """Every token in `text` written out in the active zone."""
    if "[[at:" not in text:
        return text
    return _TOKEN.sub(lambda m: shown(datetime.fromisoformat(m.group(1)).replace(tzinfo=UTC)), text)


def resolve_all(value: object) -> object:
    """`resolve` through a notice's context: strings, lists and dicts of them."""
    if isinstance(value, str):
        return resolve(value)
    if isinstance(value, list):
        return [resolve_all(v) for v in value]
    if isinstance(value, dict):
        return {k: resolve_all(v) for k, v in value.items()}
    return value
