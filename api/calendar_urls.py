"""The calendar feed (signed out, by its secret URL) and the person's page that manages it."""

from django.urls import path, re_path

from . import feeds

urlpatterns = [
    # 12 hex digits, then 43 URL-safe characters (feeds.PREFIX_BYTES, SECRET_BYTES): anything
    # else is the resolver's 404, the same answer as a wrong secret.
    re_path(
        r"^calendar/(?P<prefix>[0-9a-f]{12})\.(?P<secret>[A-Za-z0-9_-]{43})\.ics$",
        feeds.calendar_feed,
        name="calendar-feed",
    ),
    path("me/calendar/", feeds.my_calendar, name="my-calendar"),
    path("me/calendar/new/", feeds.my_calendar_create, name="my-calendar-create"),
    path("me/calendar/revoke/", feeds.my_calendar_revoke, name="my-calendar-revoke"),
]
