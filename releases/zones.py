"""Each person's time zone: pages show times in it (activated per request from the session,
so it costs no query), emails too (the outbox asks `zones_of` for its recipients)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import Profile

SESSION_KEY = "time_zone"


@cache
def known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def choices() -> list[str]:
    """The zones a person may pick, the team's first, then by name."""
    return [settings.TIME_ZONE, *sorted(known() - {settings.TIME_ZONE})]


def zone_of(user: Any) -> str:
    """The zone `user` set, or "" for the team's."""
    return Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first() or ""


def zones_of(user_ids: Iterable[int]) -> dict[int, str]:
    """The zones these people set (those who set none are left out): one query."""
    return dict(
        Profile.objects.filter(user_id__in=list(user_ids))
        .exclude(time_zone="")
        .values_list("user_id", "time_zone")
    )


def remember(sender: object, request: HttpRequest, user: Any, **_: object) -> None:
    """user_logged_in: the zone goes into the session, which every request loads anyway."""
    request.session[SESSION_KEY] = zone_of(user)


class TimeZoneMiddleware:
    """Activates the signed-in person's zone for the request (after the session middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = request.session.get(SESSION_KEY, "") if hasattr(request, "session") else ""
        if name in known():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
