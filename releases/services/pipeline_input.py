"""Checking what a pipeline sends, for the pipeline services: each refusal names its field."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_SHA = re.compile(r"[0-9a-f]{7,40}")
_is_url = URLValidator(schemes=["http", "https"])


def by(via: str) -> str:
    return f"(API token “{via}”)"


def clean_sha(value: str) -> str:
    sha = (value or "").strip().lower()
    if not _SHA.fullmatch(sha):
        raise ValidationError({"commit_sha": "Give the commit SHA: 7 to 40 hexadecimal digits."})
    return sha


def clean_url(value: str, name: str, *, required: bool = True) -> str:
    url = (value or "").strip()
    if not url and not required:
        return ""
    try:
        _is_url(url)
    except ValidationError:
        raise ValidationError({name: "Give a full http:// or https:// link."}) from None
    if len(url) > 500:
        raise ValidationError({name: "Give a link of at most 500 characters."})
    return url


def clean_choice(value: str, name: str, choices: tuple[str, ...] | list[str]) -> str:
    if value not in choices:
        raise ValidationError({name: "Choose one of: " + ", ".join(choices) + "."})
    return value
