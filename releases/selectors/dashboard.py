"""The dashboard: a page of active releases, what their cards show, the recently finished."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import dateformat, timezone

from octoacme.names import display_name
from signoffs.models import GateState, SignOff
from signoffs.selectors import says_proceed

from .. import lifecycle
from ..models import (
    ACTIVE_STAGES,
    FINISHED_STAGES,
    ChecklistState,
    Handoff,
    HandoffDecision,
    HandoffState,
    Incident,
    IncidentState,
    Release,
    RoleAssignment,
    RoleKey,
    TeamSettings,
)
from .freezes import card_flag, window_frozen

PAGE_SIZE = 20
FINISHED = FINISHED_STAGES


@dataclass
class GateView:
    gate: SignOff
    holder: AbstractBaseUser | None

    @property
    def status(self) -> str:
        """approved, rejected, stale or pending: what a chip shows."""
        if self.gate.state == GateState.PENDING and self.gate.stale:
            return "stale"
        return self.gate.state


@dataclass
class ReleaseSummary:
    release: Release
    gates: list[GateView]
    checklist_done: int
    checklist_total: int
    blocked: list[str] = field(default_factory=list)
    longest_pending: GateView | None = None
    frozen: Any = None  # the freeze period its window falls in (`releases.freezes.Period`)

    @property
    def gates_approved(self) -> int:
        return sum(g.gate.state == GateState.APPROVED for g in self.gates)

    @property
    def retroactive_open(self) -> int:
        """Gates an expedited policy lets sign after the deploy, not approved yet."""
        return sum(g.gate.retroactive and g.gate.state != GateState.APPROVED for g in self.gates)

    @property
    def gate_percent(self) -> int:
        return round(100 * self.gates_approved / len(self.gates)) if self.gates else 0

    @property
    def checklist_percent(self) -> int:
        total = self.checklist_total
        return round(100 * self.checklist_done / total) if total else 0


def _count(qs: QuerySet) -> Coalesce:
    """A per-release count as a subquery: a second join beside the checklist's would
    multiply its counts."""
    counted = qs.filter(release=OuterRef("pk")).order_by().values("release")
    return Coalesce(
        Subquery(counted.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
    )


def _open_incidents() -> QuerySet[Incident]:
    return Incident.objects.filter(state=IncidentState.OPEN)


def overdue_handoffs() -> QuerySet[Handoff]:
    """Hand-offs past their overdue time and not acknowledged (`is_overdue` for one row)."""
    return Handoff.objects.filter(overdue_at__lte=timezone.now()).exclude(
        state=HandoffState.ACKNOWLEDGED
    )


def is_overdue(handoff: Handoff, now: datetime) -> bool:
    return bool(
        handoff.overdue_at
        and handoff.overdue_at <= now
        and handoff.state != HandoffState.ACKNOWLEDGED
    )


def _with_summary_data(qs: QuerySet[Release]) -> QuerySet[Release]:
    latest_open = _open_incidents().filter(release=OuterRef("pk")).order_by("-opened_at", "-id")
    return qs.annotate(
        checklist_total=Count("checklist"),
        checklist_done=Count("checklist", filter=~Q(checklist__state=ChecklistState.OPEN)),
        open_incident_count=_count(_open_incidents()),
        open_incident_title=Subquery(latest_open.values("title")[:1]),
    ).prefetch_related(
        Prefetch("signoffs", queryset=SignOff.objects.select_related("role")),
        Prefetch("assignments", queryset=RoleAssignment.objects.select_related("holder", "role")),
        # Every hand-off (four a release): the QA Lead's gate, and any overdue one.
        Prefetch(
            "handoffs",
            queryset=Handoff.objects.select_related("template__from_role", "template__to_role"),
            to_attr="handoff_list",
        ),
    )


def summarize(release: Release) -> ReleaseSummary:
    """A release's card (or page header): `release` comes from `summaries` or `release_page`,
    with its hand-offs (`handoff_list`) and open incidents (`open_incident_count`, `_title`)."""
    if not hasattr(release, "gate_handoffs"):
        release.gate_handoffs = [h for h in release.handoff_list if h.template.is_gate]
    holders = {a.role_id: a.holder for a in release.assignments.all()}
    gates = [GateView(g, holders.get(g.role_id)) for g in release.signoffs.all()]
    summary = ReleaseSummary(
        release=release,
        gates=gates,
        checklist_done=release.checklist_done,
        checklist_total=release.checklist_total,
    )
    summary.blocked = blockers(release, gates)
    waiting = [g for g in gates if g.gate.opened_at and g.gate.state == GateState.PENDING]
    if waiting and release.stage in lifecycle.SIGNING_STAGES:
        summary.longest_pending = min(waiting, key=lambda g: g.gate.opened_at)
    return summary


def _who(user: AbstractBaseUser | None) -> str:
    return display_name(user, nobody="nobody holds it")


def blockers(release: Release, gates: list[GateView], *, now: datetime | None = None) -> list[str]:
    """What stops the release from moving on, each with the person who can clear it: rejected
    and stale gates, a hold, a missing "proceed", open incidents, overdue hand-offs and roles
    nobody holds."""
    now = now or timezone.now()
    holders = {a.role_id: a.holder for a in release.assignments.all()}

    def owner(role: Any) -> str:
        return f"{role.name} ({_who(holders.get(role.pk))})"

    found = [
        f"{g.gate.role.name} ({_who(g.holder)}) rejected: {g.gate.comment}"
        for g in gates
        if g.gate.state == GateState.REJECTED
    ]
    handoffs = release.gate_handoffs
    on_hold = [
        h
        for h in handoffs
        if h.decision == HandoffDecision.HOLD and h.state != HandoffState.PENDING
    ]
    found += [
        f"{owner(h.template.to_role)} put a hold on: {h.response or h.notes}" for h in on_hold
    ]
    stale = [f"{g.gate.role.name} ({_who(g.holder)})" for g in gates if g.status == "stale"]
    if stale:
        found.append("Stale approvals to renew: " + ", ".join(stale))
    six = [g for g in gates if g.gate.role.key != RoleKey.PROJECT_MANAGER]
    if (
        release.stage in lifecycle.SIGNING_STAGES
        and six
        and all(g.gate.state == GateState.APPROVED for g in six)
        and not any(says_proceed(h) for h in handoffs)
        and not on_hold
    ):
        for h in handoffs:
            if h.state == HandoffState.PENDING:
                found.append(
                    f"Waiting for the {owner(h.template.from_role)} to hand off to the "
                    f"{h.template.to_role.name}: the Project Manager confirms only after "
                    "“proceed”."
                )
            else:
                found.append(
                    f"Waiting for the {owner(h.template.to_role)} to answer the "
                    f"{h.template.from_role.name}'s hand-off with “proceed”: the Project "
                    "Manager confirms only after that."
                )
    found += _release_day_blockers(release, owner, now)
    return found


def _release_day_blockers(release: Release, owner: Any, now: datetime) -> list[str]:
    found = []
    count = release.open_incident_count
    if count:
        more = f" and {count - 1} more" if count > 1 else ""
        devops = next(
            (a.role for a in release.assignments.all() if a.role.key == RoleKey.DEVOPS_ENGINEER),
            None,
        )
        who = f" ({owner(devops)})" if devops else ""
        found.append(f"Open incident: “{release.open_incident_title}”{more}{who}")
    if release.stage not in ACTIVE_STAGES:
        return found
    for h in release.handoff_list:
        if is_overdue(h, now):
            t = h.template
            # Not sent: the sender is late; sent and unanswered: the receiver is.
            late = t.from_role if h.state == HandoffState.PENDING else t.to_role
            since = dateformat.format(timezone.localtime(h.overdue_at), "D j M, H:i")
            verb = "send" if h.state == HandoffState.PENDING else "acknowledge"
            found.append(f"Hand-off {t} overdue since {since}: {owner(late)} to {verb} it")
    found += [
        f"{a.role.name} has no holder: an admin assigns one"
        for a in release.assignments.all()
        if a.holder_id is None
    ]
    return found


def dashboard(
    *,
    stage: str = "",
    release_type: str = "",
    q: str = "",
    page: int | str = 1,
    freezes: list[Any] | None = None,
) -> Page:
    """One page of active releases as (id, revision, overdue hand-offs, freeze flag) entries;
    cards.render() draws them. `freezes`: the active ones (`releases.freezes.active`)."""
    qs = Release.objects.active().order_by("window_start", "-created_at", "-id")
    if stage:
        qs = qs.filter(stage=stage)
    if release_type:
        qs = qs.filter(release_type=release_type)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(version__icontains=q))
    # Count and slice the plain query; the summaries' annotations and prefetches are paid
    # only for the cards not already rendered (a count over the annotated, grouped query
    # would scan every active release's checklist).
    # A card shows overdue hand-offs, which become so with time and no change to the release:
    # their count keys the card beside the revision (it only grows until a change bumps it).
    qs = qs.annotate(overdue=_count(overdue_handoffs()))
    # A card names people, whose accounts change without touching a release: the team's
    # people revision keys it too (an uncorrelated subquery, read once per page).
    qs = qs.annotate(
        people=Subquery(TeamSettings.objects.filter(pk=1).values("people_revision")[:1])
    )
    found = Paginator(
        qs.values_list(
            "pk", "revision", "overdue", "people", "stage", "window_start", "window_end"
        ),
        PAGE_SIZE,
    ).get_page(page)
    # A card flags a window that falls in a freeze: a freeze created or ended changes no
    # release's revision, so the freeze's id keys the card too.
    found.object_list = [
        (pk, revision, overdue, people or 0, card_flag(freezes or [], in_stage, start, end))
        for pk, revision, overdue, people, in_stage, start, end in found.object_list
    ]
    return found


def summaries(ids: list[int], *, freezes: list[Any] | None = None) -> list[ReleaseSummary]:
    """What the dashboard cards of these releases show, in their order, in four queries."""
    by_id = {r.pk: r for r in _with_summary_data(Release.objects.filter(pk__in=ids))}
    found = [summarize(by_id[pk]) for pk in ids if pk in by_id]
    for summary in found:
        summary.frozen = window_frozen(summary.release, freezes or [])
    return found


def recently_finished(limit: int = 5) -> QuerySet[Release]:
    return Release.objects.filter(stage__in=FINISHED).order_by("-updated_at")[:limit]
