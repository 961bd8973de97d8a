"""What an edit of a release changes, compared the way a person means it.

The pages, the admin and the services all ask here, so a browser sending a field back unchanged
(CRLF, trimmed whitespace, a window without seconds) is never taken for a change.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .models import Release
from .text import clean_line, clean_value, require_line

# One-line fields, named in words: they end up in email subjects, where a line break would
# make the mail unsendable.
LINE_FIELDS = {"name": "The release name", "version": "The version"}


def check_lines(data: dict[str, Any], stored: Release | None = None) -> None:
    """Refuse a line break or other control character typed into a one-line field.

    Refused, not collapsed: an `<input>` cannot send a line break, so one comes from a forged
    request or a script, and saving something other than what was sent would hide that. A
    value equal to what is stored (an older row sent back unchanged) is not new input.
    """
    errors: dict[str, list[str]] = {}
    for field, label in LINE_FIELDS.items():
        value = data.get(field)
        if not isinstance(value, str) or (stored is not None and value == getattr(stored, field)):
            continue
        try:
            require_line(value.strip(), label=label)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """Release fields as they are stored and compared (see `releases.text`).

    One-line fields are collapsed here only so that a row stored before they were checked
    compares as it reads; new input is checked first (`check_lines`).
    """
    return {f: clean_line(v) if f in LINE_FIELDS else clean_value(v) for f, v in data.items()}


def changed_fields(release: Release, data: dict[str, Any]) -> dict[str, Any]:
    """The fields of `data` whose normalized value differs from the release's normalized value.

    Both sides are normalized: a row saved before normalization (trailing spaces, seconds in
    the window) must not look changed when a browser sends it back.
    """
    data = normalize(data)
    stored = normalize({f: getattr(release, f) for f in data})
    return {f: v for f, v in data.items() if stored[f] != v}


def edit_token(release: Release) -> str:
    """Names the version of the release a form was drawn from, to spot a concurrent edit."""
    return release.updated_at.isoformat()
