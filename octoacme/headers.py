"""Response headers that every page gets (the Content-Security-Policy comes from django-csp)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """What a signed-in person is shown is sent `Cache-Control: private, no-store`: no shared
    cache keeps it, and the browser does not either, so Back after signing out on a shared
    computer does not show the last page. Static files never get here (whitenoise answers
    them further out in production, runserver's handler in development)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
