"""The iCalendar (RFC 5545) a person's feed answers: the deployment windows of active releases
and the freeze periods, built with the `icalendar` package.

A calendar client updates an event it already has when a new copy carries the same UID and a
higher SEQUENCE. So a window's UID names the release, never the window itself, and its
SEQUENCE is the release's `revision` (bumped by every audited change, a window edit
included): moving a window moves the event instead of adding a second one. A weekly freeze
has one event per occurrence, named by its local start date, so the same Friday keeps its UID
from one fetch to the next as the 8-week horizon slides on.

Two queries whatever the number of releases or freezes: the releases with their gate counts,
and the active freezes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from icalendar import Calendar, Event, vDuration

from releases import freezes as freeze_rules
from releases.models import Freeze, Release
from releases.selectors.freezes import window_frozen
from signoffs.models import GateState

PRODID = "-//OctoAcme//Releases//EN"
NAME = "OctoAcme Releases"
# How far ahead weekly freezes are written out (the brief's 8 weeks).
FREEZE_HORIZON = timedelta(weeks=8)
# Asked of clients that honour it (Apple, Outlook); Google polls on its own schedule.
REFRESH = timedelta(hours=1)


def host() -> str:
    """The domain in every UID: the site's own, from SITE_URL, so a UID does not change with
    the Host header a client happened to send."""
    return urlsplit(settings.SITE_URL).hostname or "octoacme.invalid"


def windows() -> QuerySet[Release]:
    """Active releases (not closed, rolled back or cancelled) with a window at both ends,
    with their gate counts: one query."""
    return (
        Release.objects.active()
        .filter(window_start__isnull=False, window_end__isnull=False)
        .annotate(
            gates_total=Count("signoffs"),
            gates_approved=Count("signoffs", filter=Q(signoffs__state=GateState.APPROVED)),
        )
        .order_by("window_start", "pk")
    )


def _utc(at: datetime) -> datetime:
    # Written with a "Z": no VTIMEZONE to ship, and every client converts to its own zone.
    return at.astimezone(UTC)


def _window_event(release: Release, freezes: list[Freeze], now: datetime, domain: str) -> Event:
    event = Event()
    event.add("uid", f"release-{release.pk}-window@{domain}")
    event.add("sequence", release.revision)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(release.window_start))
    event.add("dtend", _utc(release.window_end))
    event.add("summary", f"Deploy {release.name} {release.version}")
    url = settings.SITE_URL + reverse("release-detail", args=[release.pk])
    event.add("url", url)
    lines = [
        f"Stage: {release.get_stage_display()}",
        f"Gates: {release.gates_approved}/{release.gates_total} approved",
    ]
    # What the release page and dashboard flag: only while the deploy is still ahead.
    frozen = window_frozen(release, freezes)
    if frozen is not None:
        lines.append(f"Falls in the deploy freeze “{frozen.reason}” ({frozen.span()})")
    lines.append(url)
    event.add("description", "\n".join(lines))
    return event


def _freeze_event(period: freeze_rules.Period, now: datetime, domain: str) -> Event:
    freeze = period.freeze
    day = period.start.astimezone(period.zone)
    event = Event()
    event.add("uid", f"freeze-{freeze.pk}-{day:%Y%m%d}@{domain}")
    # A freeze is never edited, only ended (and then it leaves the feed): its events never
    # change, so their sequence stays 0.
    event.add("sequence", 0)
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(period.start))
    event.add("dtend", _utc(period.end))
    event.add("summary", f"Deploy freeze: {freeze.reason}")
    event.add("description", f"No production deploys {freeze_rules.describe(freeze)}.")
    # A freeze is not a meeting: it must not make anyone look busy.
    event.add("transp", "TRANSPARENT")
    return event


def build(*, now: datetime) -> bytes:
    """The whole calendar, as the bytes the feed sends."""
    domain = host()
    freezes = freeze_rules.active(now)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", NAME)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    # An X- property has no known type: written out, or it would read "1:00:00".
    cal.add("x-published-ttl", vDuration(REFRESH).to_ical().decode())
    for release in windows():
        cal.add_component(_window_event(release, freezes, now, domain))
    for period in freeze_rules.periods(freezes, now, now + FREEZE_HORIZON):
        cal.add_component(_freeze_event(period, now, domain))
    return cal.to_ical()
