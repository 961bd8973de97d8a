"""Admin for what the site installs rather than an app of its own: django-axes' sign-in
attempts. Imported by octoacme.urls before the admin's URLs are built."""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib import admin
from django.http import HttpRequest


class SignInAttemptAdmin(AccessAttemptAdmin):
    """axes' list of failed sign-ins, with its clean-up action made safe to offer."""

    # It deletes rows, so only for those who may delete attempts (axes declares nothing, and
    # Django offers such an action to anyone who can view the list).
    @admin.action(description="Clean up expired attempts", permissions=["delete"])
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: Any) -> None:
        # axes reads the request's time from what it sets on sign-in requests only; without
        # it the action fails with a server error.
        AxesProxyHandler.update_request(request)
        super().cleanup_expired_attempts(request, queryset)


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, SignInAttemptAdmin)
