from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import SignOff


@admin.register(SignOff)
class SignOffAdmin(admin.ModelAdmin):
    """Gates are listed for admins; only their holders decide them, on the sign-off page."""

    list_display = ["release", "role", "state", "stale", "decided_by", "decided_at"]
    list_filter = ["state", "stale", "role"]
    list_select_related = ["release", "role", "decided_by"]
    search_fields = ["release__name", "release__version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
