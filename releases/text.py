"""What people type, normalized once before it is compared or stored.

Browsers send textarea lines with CRLF, forms trim whitespace that stored text may still
carry, and the `datetime-local` widget has no seconds. Comparing raw values made an unchanged
field look changed (and staled approvals); every page, the admin and the services use these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError


def clean_text(value: str | None) -> str:
    """LF line endings, no surrounding whitespace."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_line(value: str | None) -> str:
    """One line: every run of whitespace, line breaks included, becomes one space.

    A name or title goes into email headers, where a line break would make the mail unsendable.
    """
    return " ".join((value or "").split())


def clean_moment(value: datetime | None) -> datetime | None:
    """To the minute: what the window widget shows and sends back."""
    return value.replace(second=0, microsecond=0) if value is not None else None


def clean_value(value: Any) -> Any:
    """Normalize one form or model value by its kind; others pass through unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, datetime):
        return clean_moment(value)
    return value


def clean_field(
    value: str | None,
    *,
    field: str,
    label: str,
    required: bool,
    max_length: int,
    line: bool = False,
) -> str:
    """One typed field, normalized and checked; a `ValidationError` names the field in words.

    `line=True` for one-line fields (titles): they end up in email subjects.
    """
    value = clean_line(value) if line else clean_text(value)
    if required and not value:
        raise ValidationError({field: f"{label} is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} must be at most {max_length} characters."})
    return value
