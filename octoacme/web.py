"""Web helpers every app's POST views share: run one service call, show a refusal or a bad
form as a message."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .errors import Refused


def perform(request: HttpRequest, action: Callable[[], object], success: str) -> bool:
    """Run one service call; show its refusal as a message. PermissionDenied propagates (403)."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return False
    except Refused as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, success)
    return True


def form_error(request: HttpRequest, form: Any) -> None:
    text = " ".join(
        # The bound field's label falls back to the name in words: "Root cause", not "root_cause".
        f"{form[f].label}: {' '.join(errs)}" if f in form.fields else " ".join(errs)
        for f, errs in form.errors.items()
    )
    messages.error(request, text)
