"""How a person is named everywhere (pages, emails, the audit trail): the full name, or the
username where no name is set."""

from __future__ import annotations

from typing import Any


def display_name(user: Any, nobody: str = "nobody") -> str:
    if user is None:
        return nobody
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full or user.get_username()


def in_role(user: Any, role_name: str) -> str:
    """ "Dana Lee (DevOps Engineer)"; just the role where the name already says it (as the demo
    accounts' names do), so no sentence reads "DevOps Engineer, DevOps Engineer, ..."."""
    name = display_name(user)
    return name if name == role_name else f"{name} ({role_name})"
