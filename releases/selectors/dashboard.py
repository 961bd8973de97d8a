"""The dashboard: a page of active releases, what their cards show, the recently finished."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet

from octoacme.names import display_name
from signoffs.models import GateState, SignOff

from .. import lifecycle
from ..models import (
    FINISHED_STAGES,
    ChecklistState,
    Handoff,
    HandoffDecision,
    HandoffState,
    Release,
    RoleAssignment,
    RoleKey,
)

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

    @property
    def gates_approved(self) -> int:
        return sum(g.gate.state == GateState.APPROVED for g in self.gates)

    @property
    def gate_percent(self) -> int:
        return round(100 * self.gates_approved / len(self.gates)) if self.gates else 0

    @property
    def checklist_percent(self) -> int:
        total = self.checklist_total
        return round(100 * self.checklist_done / total) if total else 0


def _with_summary_data(qs: QuerySet[Release]) -> QuerySet[Release]:
    return qs.annotate(
        checklist_total=Count("checklist"),
        checklist_done=Count("checklist", filter=~Q(checklist__state=ChecklistState.OPEN)),
    ).prefetch_related(
        Prefetch("signoffs", queryset=SignOff.objects.select_related("role")),
        Prefetch("assignments", queryset=RoleAssignment.objects.select_related("holder")),
        Prefetch(
            "handoffs",
            queryset=Handoff.objects.filter(template__is_gate=True),
            to_attr="gate_handoffs",
        ),
    )


def summarize(release: Release) -> ReleaseSummary:
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


def blockers(release: Release, gates: list[GateView]) -> list[str]:
    """What stops the release from moving on, each with the person who can clear it."""
    found = [
        f"{g.gate.role.name} ({_who(g.holder)}) rejected: {g.gate.comment}"
        for g in gates
        if g.gate.state == GateState.REJECTED
    ]
    qa = next((g for g in gates if g.gate.role.key == RoleKey.QA_LEAD), None)
    qa_name = _who(qa.holder if qa else None)
    handoffs = getattr(release, "gate_handoffs", [])
    proceed = False
    for h in handoffs:
        if h.state == HandoffState.PENDING:
            continue
        if h.decision == HandoffDecision.HOLD:
            found.append(f"QA Lead ({qa_name}) says hold: {h.notes}")
        proceed = proceed or h.decision == HandoffDecision.PROCEED
    stale = [f"{g.gate.role.name} ({_who(g.holder)})" for g in gates if g.status == "stale"]
    if stale:
        found.append("Stale approvals to renew: " + ", ".join(stale))
    six = [g for g in gates if g.gate.role.key != RoleKey.PROJECT_MANAGER]
    on_hold = any(h.decision == HandoffDecision.HOLD for h in handoffs)
    if (
        release.stage in lifecycle.SIGNING_STAGES
        and six
        and all(g.gate.state == GateState.APPROVED for g in six)
        and not proceed
        and not on_hold
    ):
        found.append(
            f"Waiting for the QA Lead ({qa_name}) to hand off to the DevOps Engineer with "
            "“proceed”: the Project Manager confirms only after that."
        )
    return found


def dashboard(*, stage: str = "", release_type: str = "", q: str = "", page: int | str = 1) -> Page:
    """One page of active releases as (id, revision) pairs; cards.render() draws them."""
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
    return Paginator(qs.values_list("pk", "revision"), PAGE_SIZE).get_page(page)


def summaries(ids: list[int]) -> list[ReleaseSummary]:
    """What the dashboard cards of these releases show, in their order, in four queries."""
    by_id = {r.pk: r for r in _with_summary_data(Release.objects.filter(pk__in=ids))}
    return [summarize(by_id[pk]) for pk in ids if pk in by_id]


def recently_finished(limit: int = 5) -> QuerySet[Release]:
    return Release.objects.filter(stage__in=FINISHED).order_by("-updated_at")[:limit]
