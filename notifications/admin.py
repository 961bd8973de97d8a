"""Admin: the outbox, for superusers to see what was sent, what waits and what failed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from .models import Notification, NotificationState


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what waits for a retry, and what failed and why."""

    list_display = [
        "created_at",
        "kind",
        "to_email",
        "state",
        "tries",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["to_email", "subject", "key"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    # It rewrites rows (state, tries, next attempt): only for those who may change notices.
    @admin.action(
        description="Retry the selected failed or pending notices now", permissions=["change"]
    )
    def retry_now(self, request: HttpRequest, queryset: Any) -> None:
        count = queryset.filter(
            state__in=[NotificationState.FAILED, NotificationState.PENDING]
        ).update(state=NotificationState.PENDING, next_attempt_at=timezone.now(), tries=0)
        self.message_user(request, f"{count} notice(s) will be sent by the next sweep.")
