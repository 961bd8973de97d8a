"""How a person is named everywhere (pages, emails, the audit trail): the full name, or the
username where no name is set."""

from __future__ import annotations

from typing import Any


def display_name(user: Any, nobody: str = "nobody") -> str:
    if user is None:
        return nobody
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()
