"""The period an Insights page covers: whole days in the display time zone, cut into weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property

from django.utils import timezone


@dataclass(frozen=True)
class Period:
    """From the start of `first` to the end of `last` (both days included, in the display zone)
    or now, whichever is earlier: nothing after now has happened yet."""

    first: date
    last: date
    now: datetime

    # Computed once: the metrics ask each of thousands of rows whether the period holds it.
    @cached_property
    def zone(self) -> tzinfo:
        return timezone.get_current_timezone()

    @cached_property
    def start(self) -> datetime:
        return _midnight(self.first)

    @cached_property
    def end(self) -> datetime:
        return min(_midnight(self.last + timedelta(days=1)), self.now)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @cached_property
    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches, oldest first."""
        monday = week_of(self.first)
        return [monday + timedelta(weeks=i) for i in range((self.last - monday).days // 7 + 1)]

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end

    def week(self, moment: datetime) -> date:
        """The Monday of the week `moment` falls in, in the period's zone."""
        return week_of(moment.astimezone(self.zone).date())


def week_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def last_days(days: int, now: datetime) -> Period:
    """The last `days` days, today included."""
    today = timezone.localtime(now).date()
    return Period(first=today - timedelta(days=days - 1), last=today, now=now)


def _midnight(day: date) -> datetime:
    # make_aware picks the offset in force at that wall time, so a week across a DST change
    # still starts at local midnight.
    return timezone.make_aware(datetime.combine(day, time.min))
