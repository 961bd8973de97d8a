"""Every Insights figure, computed from the period's rows (queries.py) by plain functions, so a
test can work each one out by hand. Definitions are on the page and in docs/insights.md.

Durations are in hours; a median is the middle value (the mean of the two middle ones for an
even count); the 90th percentile is the nearest rank (the smallest value with at least 90 % of
the values at or below it).
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from . import bands
from .bands import Band
from .charts import Chart
from .periods import Period
from .queries import Decision, Deploy, HandoffDue, OpenGate, Recovery


def median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def p90(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1] if ordered else None


def share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def hours(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


@dataclass(frozen=True)
class Figure:
    """One headline number: its value, how many things it was computed from, its band."""

    key: str
    name: str
    value: float | None
    unit: str  # "per week", "hours" or "%"
    count: int
    p90: float | None = None
    band: Band | None = None


@dataclass(frozen=True)
class RoleRow:
    role: str
    decided: int
    median: float | None
    p90: float | None
    rejections: int
    stale: int
    reminders: int
    escalations: int


@dataclass(frozen=True)
class HandoffRow:
    name: str
    on_time: int
    late: int
    not_sent: int  # late and still not sent
    median_late: float | None
    max_late: float | None


@dataclass
class Report:
    period: Period
    delivery: list[Figure]
    staging_lead_time: Figure
    still_open: int  # incidents opened by the period's end and not restored by then
    roles: list[RoleRow]
    open_gates: list[OpenGate]
    handoffs: list[HandoffRow]
    charts: list[Chart] = field(default_factory=list)

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)


def delivery(period: Period, deploys: list[Deploy], recoveries: list[Recovery]) -> list[Figure]:
    """DORA's five, as dora.dev defines them, from this product's own events."""
    went = [d for d in deploys if d.succeeded]
    lead = [hours(d.created_at, d.at) for d in went if d.created_at]
    restored = restored_in(period, recoveries)
    per_week = len(deploys) / (period.days / 7)
    cfr = share(sum(d.failed for d in deploys), len(deploys))
    return [
        Figure(
            "frequency",
            "Deployment frequency",
            per_week,
            "per week",
            len(deploys),
            band=bands.frequency(per_week),
        ),
        Figure(
            "lead-time",
            "Change lead time",
            median(lead),
            "hours",
            len(lead),
            p90=p90(lead),
            band=bands.lead_time(median(lead)),
        ),
        Figure(
            "change-fail-rate",
            "Change fail rate",
            cfr,
            "%",
            len(deploys),
            band=bands.change_fail_rate(cfr),
        ),
        Figure(
            "recovery-time",
            "Failed deployment recovery time",
            median(restored),
            "hours",
            len(restored),
            p90=p90(restored),
            band=bands.recovery_time(median(restored)),
        ),
        Figure(
            "rework-rate",
            "Deployment rework rate",
            share(sum(d.rework for d in deploys), len(deploys)),
            "%",
            len(deploys),
        ),
    ]


def staging_lead_time(deploys: list[Deploy]) -> Figure:
    lead = [hours(d.staged_at, d.at) for d in deploys if d.succeeded and d.staged_at]
    return Figure(
        "staging-lead-time", "Staging to production", median(lead), "hours", len(lead), p90(lead)
    )


def restored_in(period: Period, recoveries: list[Recovery]) -> list[float]:
    """Recovery times of the incidents restored within the period (opened whenever)."""
    return [hours(r.opened_at, r.restored_at) for r in recoveries if period.holds(r.restored_at)]


def still_open(period: Period, recoveries: list[Recovery]) -> int:
    return sum(
        r.opened_at < period.end and (r.restored_at is None or r.restored_at >= period.end)
        for r in recoveries
    )


def roles(
    names: list[str],
    decisions: list[Decision],
    events: dict[tuple[str, str], int],
    chasing: dict[str, tuple[int, int]],
) -> list[RoleRow]:
    by_role: dict[str, list[float]] = defaultdict(list)
    for d in decisions:
        by_role[d.role].append(hours(d.opened_at, d.decided_at))
    return [
        RoleRow(
            role=name,
            decided=len(by_role[name]),
            median=median(by_role[name]),
            p90=p90(by_role[name]),
            rejections=events.get(("gate.rejected", name), 0),
            stale=events.get(("gate.stale", name), 0),
            reminders=chasing.get(name, (0, 0))[0],
            escalations=chasing.get(name, (0, 0))[1],
        )
        for name in names
    ]


def lateness(h: HandoffDue, now: datetime) -> float | None:
    """Hours past its deadline that a hand-off was sent (or, unsent, is by now); None if on
    time. The deadline is its overdue time, when the product escalates it."""
    sent = h.sent_at or now
    return hours(h.deadline, sent) if sent > h.deadline else None


def handoffs(due: list[HandoffDue], now: datetime) -> list[HandoffRow]:
    groups: dict[tuple[int, str], list[HandoffDue]] = defaultdict(list)
    for h in due:
        groups[(h.position, h.name)].append(h)
    rows = []
    for (_, name), items in sorted(groups.items()):
        late = [x for x in (lateness(h, now) for h in items) if x is not None]
        rows.append(
            HandoffRow(
                name=name,
                on_time=len(items) - len(late),
                late=len(late),
                not_sent=sum(h.sent_at is None for h in items),
                median_late=median(late),
                max_late=max(late, default=None),
            )
        )
    return rows


def weekly(
    period: Period, items: Iterable[object], when: Callable[[object], datetime | None]
) -> dict[date, list]:
    """`items` by the week (display zone) of `when(item)`, for every week of the period."""
    buckets: dict[date, list] = {week: [] for week in period.weeks}
    for item in items:
        moment = when(item)
        if period.holds(moment):
            buckets[period.week(moment)].append(item)
    return buckets
