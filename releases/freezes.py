"""When production deploys are frozen: the rules over `Freeze` rows, in one place.

Everything here is pure (no query, no write) except `active`, the one read every caller uses
to get the rows. A one-off freeze is the half-open period [starts_at, ends_at); a weekly one
recurs from (start_weekday, start_time) to (end_weekday, end_time) as wall-clock times in its
`time_zone`, so "Friday 16:00 to Monday 08:00 Europe/Berlin" stays at 16:00 and 08:00 local
across a daylight-saving change and that occurrence is an hour shorter or longer in UTC.
In force at exactly its start, no longer at exactly its end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Freeze, FreezeKind, Weekday

# A weekly freeze lasts at most a week, so its occurrences that could touch an instant start
# within the eight days before it; looking a little further is harmless.
WEEK = timedelta(days=7)
# `next_after` looks this far ahead for a weekly occurrence (always one within a week).
HORIZON = timedelta(days=15)


def zone_named(name: str) -> ZoneInfo | None:
    """The time zone called `name`, or None when there is no such zone."""
    if not name or name != name.strip():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone_of(freeze: Freeze) -> ZoneInfo:
    # The service refuses an unknown zone; a row from elsewhere falls back to UTC.
    return zone_named(freeze.time_zone) or ZoneInfo("UTC")


def moment(dt: datetime, zone: tzinfo) -> str:
    """Like "Mon 2026-11-30 08:00 CET": the freeze's own zone, named."""
    local = dt.astimezone(zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


def _short(local: datetime) -> str:
    return f"{local:%a} {local.day} {local:%b %H:%M}"


@dataclass(frozen=True)
class Period:
    """One occurrence of a freeze, its ends in UTC."""

    freeze: Freeze
    start: datetime
    end: datetime

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.freeze)

    @property
    def reason(self) -> str:
        return self.freeze.reason

    def ends(self) -> str:
        return moment(self.end, self.zone)

    def span(self) -> str:
        """Like "Fri 27 Nov 16:00 to Mon 30 Nov 08:00 CET" (both zones named when a
        daylight-saving change falls inside)."""
        start, end = self.start.astimezone(self.zone), self.end.astimezone(self.zone)
        if start.tzname() == end.tzname():
            return f"{_short(start)} to {_short(end)} {end.tzname()}"
        return f"{_short(start)} {start.tzname()} to {_short(end)} {end.tzname()}"

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


def _utc(local_day: date, wall: time, zone: ZoneInfo) -> datetime:
    # A wall time skipped by a spring-forward change reads with the offset before it (fold=0).
    return datetime.combine(local_day, wall, tzinfo=zone).astimezone(UTC)


def _weekly(freeze: Freeze, first: datetime, last: datetime) -> Iterator[Period]:
    """The occurrences of a weekly freeze that start between `first` - a week and `last`."""
    zone = zone_of(freeze)
    day = (first - WEEK).astimezone(zone).date() - timedelta(days=1)
    day += timedelta(days=(freeze.start_weekday - day.weekday()) % 7)
    days = (freeze.end_weekday - freeze.start_weekday) % 7
    if days == 0 and freeze.end_time <= freeze.start_time:
        days = 7  # Monday 08:00 to Monday 08:00 (or earlier) runs the whole week round.
    end_of_search = last.astimezone(zone).date() + timedelta(days=1)
    while day <= end_of_search:
        start = _utc(day, freeze.start_time, zone)
        end = _utc(day + timedelta(days=days), freeze.end_time, zone)
        if end > start:
            yield Period(freeze, start, end)
        day += WEEK


def periods(freezes: Iterable[Freeze], first: datetime, last: datetime) -> list[Period]:
    """Every occurrence of the active `freezes` that overlaps [first, last], by start."""
    found = []
    for freeze in freezes:
        if not freeze.active:
            continue
        if freeze.kind == FreezeKind.WEEKLY:
            candidates: Iterable[Period] = _weekly(freeze, first, last)
        elif freeze.starts_at and freeze.ends_at:
            candidates = [Period(freeze, freeze.starts_at, freeze.ends_at)]
        else:
            candidates = []
        found += [p for p in candidates if p.start <= last and p.end > first]
    return sorted(found, key=lambda p: (p.start, p.end, p.freeze.pk or 0))


def in_force(freezes: Iterable[Freeze], at: datetime) -> Period | None:
    """The freeze in force at `at`, its end carried through any freeze that overlaps or
    follows it without a gap (a deploy is frozen until the last of them ends)."""
    freezes = list(freezes)
    now = [p for p in periods(freezes, at, at) if p.contains(at)]
    if not now:
        return None
    first = min(now, key=lambda p: (p.start, p.freeze.pk or 0))
    end = max(p.end for p in now)
    for _ in range(52):  # A chain of back-to-back freezes ends within a year, or say so then.
        later = [p for p in periods(freezes, end, end) if p.contains(end)]
        if not later:
            break
        end = max(p.end for p in later)
    return Period(first.freeze, first.start, end)


def next_after(freezes: Iterable[Freeze], at: datetime) -> Period | None:
    """The first freeze that starts after `at` (one-off ones however far ahead)."""
    freezes = list(freezes)
    far = max(
        [at + HORIZON]
        + [f.starts_at for f in freezes if f.kind == FreezeKind.ONE_OFF and f.starts_at],
    )
    upcoming = [p for p in periods(freezes, at, far) if p.start > at]
    return upcoming[0] if upcoming else None


def overlapping(
    freezes: Iterable[Freeze], start: datetime | None, end: datetime | None
) -> Period | None:
    """The first freeze that falls in the window [start, end]; one that only touches an end
    of it does not count (a window closing as a freeze starts is clear)."""
    if start is None or end is None or end <= start:
        return None
    hits = [p for p in periods(freezes, start, end) if p.start < end and p.end > start]
    return hits[0] if hits else None


def outside_window(start: datetime | None, end: datetime | None, at: datetime) -> str:
    """Why `at` is outside a release's deployment window [start, end], or "" when it is
    inside or the window is not set at both ends."""
    if start is None or end is None:
        return ""
    # The window is the team's, not a freeze's: read in the display time zone.
    zone = timezone.get_default_timezone()
    if at < start:
        return f"The deployment window opens {moment(start, zone)}"
    if at > end:
        return f"The deployment window closed {moment(end, zone)}"
    return ""


def describe(freeze: Freeze) -> str:
    """ "every Friday 16:00 to Monday 08:00 (Europe/Berlin)" or the one-off's two moments."""
    if freeze.kind == FreezeKind.WEEKLY:
        start = f"{Weekday(freeze.start_weekday).label} {freeze.start_time:%H:%M}"
        end = f"{Weekday(freeze.end_weekday).label} {freeze.end_time:%H:%M}"
        return f"every {start} to {end} ({freeze.time_zone})"
    zone = zone_of(freeze)
    return f"{moment(freeze.starts_at, zone)} to {moment(freeze.ends_at, zone)}"


def active_query(at: datetime) -> QuerySet[Freeze]:
    return Freeze.objects.filter(active=True).filter(
        Q(kind=FreezeKind.WEEKLY) | Q(kind=FreezeKind.ONE_OFF, ends_at__gt=at)
    )


def active(at: datetime) -> list[Freeze]:
    """The freezes that may still be in force at or after `at` (one query)."""
    return list(active_query(at))
