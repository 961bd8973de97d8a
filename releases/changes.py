"""What an edit of a release changes, compared the way a person means it.

The pages, the admin and the services all ask here, so a browser sending a field back unchanged
(CRLF, trimmed whitespace, a window without seconds) is never taken for a change.
"""

from __future__ import annotations

from typing import Any

from .models import Release
from .text import clean_line, clean_value

# One-line fields: a line break there would end up in email subjects and headers.
_LINE_FIELDS = frozenset({"name", "version"})


def normalize(data: dict[str, Any]) -> dict[str, Any]:
    """Release fields as they are stored and compared (see `releases.text`)."""
    return {f: clean_line(v) if f in _LINE_FIELDS else clean_value(v) for f, v in data.items()}


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
