"""The rows Insights reads: a fixed number of queries, each bounded by the period through an
index, so the page costs what the period holds, not what the history holds.

Why rows and not a rollup table: medians and 90th percentiles need the distribution, which
sums kept per day cannot give; and a period's rows are bounded by how fast the team ships
(a few hundred releases a quarter), not by how long it has kept shipping. The figures are
computed in Python from these rows (metrics.py), the same on PostgreSQL and SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum

from releases.models import AuditEvent, Handoff, Incident, Release, Role, RoleAssignment, Stage
from releases.models.release import ACTIVE_STAGES
from signoffs.models import GateState, SignOff

from .periods import Period


@dataclass(frozen=True)
class Deploy:
    """One production deploy attempt, as the metrics count it."""

    release_id: int
    at: datetime
    succeeded: bool
    # A successful deploy later rolled back or followed by an incident on its release.
    failed_later: bool = False
    rework: bool = False  # a fix-forward patch for an incident
    created_at: datetime | None = None
    staged_at: datetime | None = None

    @property
    def failed(self) -> bool:
        """Counted by the change fail rate: it failed, or something went wrong after it."""
        return not self.succeeded or self.failed_later


@dataclass(frozen=True)
class Recovery:
    opened_at: datetime
    restored_at: datetime | None  # rolled back, mitigated or resolved, whichever came first


@dataclass(frozen=True)
class Decision:
    role: str
    opened_at: datetime
    decided_at: datetime
    rejected: bool


@dataclass(frozen=True)
class OpenGate:
    role: str
    release_id: int
    release: str
    opened_at: datetime
    holder: str


@dataclass(frozen=True)
class HandoffDue:
    name: str  # "QA Lead → DevOps Engineer"
    position: int
    due_at: datetime
    sent_at: datetime | None
    # When the product escalates it: the end of the guide's timing ("within the hour",
    # "24-48 hours post-release"); a hand-off sent after it is late.
    overdue_at: datetime | None = None

    @property
    def deadline(self) -> datetime:
        return self.overdue_at or self.due_at


def _typed(qs: QuerySet, release_type: str | None, path: str = "release__") -> QuerySet:
    return qs.filter(**{f"{path}release_type": release_type}) if release_type else qs


def deploys(period: Period, release_type: str | None) -> list[Deploy]:
    """Successful production deploys in the period and the attempts that failed (two queries)."""
    # Any incident on the release once it was in production, including one recorded as "the
    # deploy failed" after it had gone through (the release broke rather than never arrived).
    later_incident = Incident.objects.filter(
        release=OuterRef("pk"), opened_at__gte=OuterRef("deployed_at")
    )
    went = _typed(
        Release.objects.filter(deployed_at__gte=period.start, deployed_at__lt=period.end),
        release_type,
        "",
    ).values_list(
        "pk",
        "deployed_at",
        "created_at",
        "staged_at",
        "rolled_back_at",
        "fixes_incident_id",
        Exists(later_incident),
    )
    # A failed attempt: the release did not reach production then (it stays approved).
    failed = _typed(
        Incident.objects.filter(
            failed_deploy=True, opened_at__gte=period.start, opened_at__lt=period.end
        ).filter(Q(release__deployed_at__isnull=True) | Q(release__deployed_at__gt=F("opened_at"))),
        release_type,
    ).values_list("release_id", "opened_at", "release__fixes_incident_id")
    return [
        Deploy(
            release_id=pk,
            at=at,
            succeeded=True,
            failed_later=rolled_back is not None or incident,
            rework=fixes is not None,
            created_at=created,
            staged_at=staged,
        )
        for pk, at, created, staged, rolled_back, fixes, incident in went
    ] + [
        Deploy(release_id=pk, at=at, succeeded=False, rework=fixes is not None)
        for pk, at, fixes in failed
    ]


def recoveries(period: Period, release_type: str | None) -> list[Recovery]:
    """Incidents opened before the period ends and not restored before it starts."""
    # Resolving comes last, so an incident resolved before the period was restored before it
    # too; the few left that were restored before it are dropped by the metrics.
    qs = Incident.objects.filter(opened_at__lt=period.end).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gte=period.start)
    )
    rows = _typed(qs, release_type).values_list(
        "opened_at", "rolled_back_at", "mitigated_at", "resolved_at"
    )
    return [
        Recovery(opened_at=opened, restored_at=min((t for t in ends if t), default=None))
        for opened, *ends in rows
    ]


def decisions(period: Period, release_type: str | None) -> list[Decision]:
    """Gates whose (latest) decision falls in the period."""
    qs = SignOff.objects.filter(
        decided_at__gte=period.start,
        decided_at__lt=period.end,
        opened_at__isnull=False,
        state__in=(GateState.APPROVED, GateState.REJECTED),
    )
    return [
        Decision(role=role, opened_at=opened, decided_at=decided, rejected=state == "rejected")
        for role, opened, decided, state in _typed(qs, release_type).values_list(
            "role__name", "opened_at", "decided_at", "state"
        )
    ]


def gate_events(period: Period, release_type: str | None) -> dict[tuple[str, str], int]:
    """Rejections and stale approvals in the period, per (verb, role name)."""
    qs = AuditEvent.objects.filter(
        verb__in=("gate.rejected", "gate.stale"),
        created_at__gte=period.start,
        created_at__lt=period.end,
    )
    rows = _typed(qs, release_type).values_list("verb", "subject").annotate(n=Count("id"))
    return {(verb, role): n for verb, role, n in rows.order_by()}


def chasing(period: Period, release_type: str | None) -> dict[str, tuple[int, int]]:
    """Reminders and escalations on the gates opened in the period, per role name."""
    qs = SignOff.objects.filter(opened_at__gte=period.start, opened_at__lt=period.end)
    rows = (
        _typed(qs, release_type)
        .values_list("role__name")
        .annotate(r=Sum("reminders_sent"), e=Sum("escalations_sent"))
        .order_by()
    )
    return {role: (r or 0, e or 0) for role, r, e in rows}


def roles() -> list[str]:
    return list(Role.objects.order_by("position").values_list("name", flat=True))


def open_gates(release_type: str | None, limit: int = 10) -> list[OpenGate]:
    """The gates waiting longest now, with who holds them (one query)."""
    holder = RoleAssignment.objects.filter(release=OuterRef("release"), role=OuterRef("role"))
    qs = SignOff.objects.filter(
        state=GateState.PENDING, opened_at__isnull=False, release__stage__in=ACTIVE_STAGES
    )
    rows = (
        _typed(qs, release_type)
        .annotate(
            first=Subquery(holder.values("holder__first_name")[:1]),
            last=Subquery(holder.values("holder__last_name")[:1]),
            username=Subquery(holder.values("holder__username")[:1]),
        )
        .order_by("opened_at", "id")
        .values_list(
            "role__name",
            "release_id",
            "release__name",
            "release__version",
            "opened_at",
            "first",
            "last",
            "username",
        )[:limit]
    )
    return [
        OpenGate(
            role=role,
            release_id=pk,
            release=f"{name} ({version})",
            opened_at=opened,
            holder=f"{first or ''} {last or ''}".strip() or username or "nobody",
        )
        for role, pk, name, version, opened, first, last, username in rows
    ]


def handoffs_due(period: Period, release_type: str | None) -> list[HandoffDue]:
    """Hand-offs due in the period (by then), of releases not cancelled."""
    qs = Handoff.objects.filter(
        due_at__gte=period.start, due_at__lt=period.end, due_at__lte=period.now
    ).exclude(release__stage=Stage.CANCELLED)
    rows = _typed(qs, release_type).values_list(
        "template__from_role__name",
        "template__to_role__name",
        "template__position",
        "due_at",
        "sent_at",
        "overdue_at",
    )
    return [
        HandoffDue(name=f"{src} → {dst}", position=pos, due_at=due, sent_at=sent, overdue_at=late)
        for src, dst, pos, due, sent, late in rows
    ]
