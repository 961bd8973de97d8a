from typing import Any

from django.http import HttpRequest

from . import permissions


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    # A callable: the template evaluates it only where the link is drawn.
    return {"can_create_release": lambda: bool(user) and permissions.can_create_release(user)}
