"""What people type, normalized once before it is compared or stored.

Browsers send textarea lines with CRLF, forms trim whitespace that stored text may still
carry, and the `datetime-local` widget has no seconds. Comparing raw values made an unchanged
field look changed (and staled approvals); every page, the admin and the services use these.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError


def clean_text(value: str | None) -> str:
    """LF line endings, no surrounding whitespace."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def clean_line(value: str | None) -> str:
    """One line: every run of whitespace, line breaks included, becomes one space.

    For comparing and showing what is already stored; new input to a one-line field is
    checked with `require_line`, which refuses a line break rather than hiding it.
    """
    return " ".join((value or "").split())


# What a one-line field refuses: every C0 control (tab, CR and LF among them), DEL, every C1
# control (NEL among them) and the Unicode line and paragraph separators. A name or title goes
# into email subjects, where a line break makes the mail unsendable, and into one-line places
# on pages, where the others are invisible or misleading.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def line_problem(value: str) -> str:
    """What to remove for `value` to be one line of text ("" when it is)."""
    found = _CONTROL.search(value)
    if found is None:
        return ""
    char = found.group()
    if char in _BREAKS:
        return "remove the line break"
    if char == "\t":
        return "remove the tab"
    return f"remove the invisible control character U+{ord(char):04X}"


def require_line(value: str, *, label: str) -> None:
    """Refuse a one-line value holding a line break or another control character.

    The message names the field in words ("The title must be on one line: remove the line
    break."); the forms use it as a validator, so a page says what the services say.
    """
    problem = line_problem(value)
    if problem:
        raise ValidationError(f"{label} must be on one line: {problem}.", code="one_line")


class OneLine:
    """A form field validator: `require_line` with the field's label in words."""

    def __init__(self, label: str) -> None:
        self.label = label

    def __call__(self, value: str) -> None:
        require_line(value or "", label=self.label)


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

    `line=True` for one-line fields (names, titles, short reasons): only the surrounding
    whitespace is trimmed, as a form does, and a line break or other control character left
    inside is refused (`require_line`), never collapsed behind the typist's back.
    """
    if line:
        value = (value or "").strip()
        try:
            require_line(value, label=label)
        except ValidationError as exc:
            raise ValidationError({field: exc.messages}) from None
    else:
        value = clean_text(value)
    if required and not value:
        raise ValidationError({field: f"{label} is required."})
    if len(value) > max_length:
        raise ValidationError({field: f"{label} must be at most {max_length} characters."})
    return value
