"""Reads for the pages: a fixed number of queries whatever the number of releases."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.utils import timezone

from octoacme.names import display_name
from signoffs.models import GateState, SignOff
from signoffs.permissions import signable_gates

from . import changes, lifecycle, permissions
from .models import (
    FINISHED_STAGES,
    AuditEvent,
    ChecklistGroup,
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Handoff,
    HandoffDecision,
    HandoffState,
    Incident,
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
    qa_name = display_name(qa.holder if qa else None, "nobody holds it")
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


def approvals_affected_by(release: Release, data: dict[str, Any]) -> int:
    """How many approvals a save of `data` would turn stale (for the warning before saving)."""
    if not set(changes.changed_fields(release, data)) & set(Release.SCOPE_FIELDS):
        return 0
    return release.signoffs.filter(state=GateState.APPROVED).count()


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


def release_page(release_id: int) -> tuple[Release, ReleaseSummary]:
    """One release with everything its page shows, in a fixed number of queries."""
    release = (
        Release.objects.filter(pk=release_id)
        .select_related("rolled_back_to", "superseded_by", "created_by")
        .prefetch_related(
            Prefetch(
                "signoffs",
                queryset=SignOff.objects.select_related("role", "decided_by", "decided_for"),
            ),
            Prefetch(
                "assignments",
                queryset=RoleAssignment.objects.select_related("role", "holder", "backup"),
            ),
            Prefetch(
                "checklist",
                queryset=ChecklistItem.objects.select_related("template__owner", "done_by"),
                to_attr="checklist_items",
            ),
            Prefetch(
                "handoffs",
                queryset=Handoff.objects.select_related(
                    "template__from_role", "template__to_role", "sent_by", "acknowledged_by"
                ),
                to_attr="handoff_list",
            ),
            Prefetch(
                "incidents",
                queryset=Incident.objects.select_related(
                    "opened_by", "rolled_back_to", "resolved_by"
                ),
                to_attr="incident_list",
            ),
            Prefetch(
                "audit_events",
                queryset=AuditEvent.objects.select_related("actor").order_by("-created_at", "-id"),
                to_attr="timeline",
            ),
        )
        .get()
    )
    # The guide's order: pre-release requirements, then the deployment checklist.
    group_order = {value: i for i, value in enumerate(ChecklistGroup.values)}
    release.checklist_items.sort(key=lambda i: (group_order[i.template.group], i.template.position))
    release.gate_handoffs = [h for h in release.handoff_list if h.template.is_gate]
    release.checklist_total = len(release.checklist_items)
    release.checklist_done = sum(i.state != ChecklistState.OPEN for i in release.checklist_items)
    return release, summarize(release)


# Each list on My work shows at most this many rows (most urgent first) and says how many
# there are: someone holding a role on hundreds of releases still gets a page in a blink.
MY_WORK_LIMIT = 50


@dataclass
class Listing:
    rows: list
    total: int

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _first(qs: QuerySet, limit: int = MY_WORK_LIMIT) -> Listing:
    """The first `limit` rows and the total, in one query (a window count over the rows)."""
    rows = list(qs.annotate(listing_total=Window(Count("pk")))[:limit])
    return Listing(rows, rows[0].listing_total if rows else 0)


# The release steps My work lists, with what it tells the person who may take them. The roles
# come from `permissions.ACTION_ROLES` and the stages from `lifecycle.TRANSITIONS`, so the list
# follows the rules the step itself is checked against.
NEXT_STEPS: dict[str, str] = {
    "deploy": "Record the production deploy",
    "close": "Close the release (once post-release hand-offs are acknowledged)",
}


@dataclass
class NextStep:
    release: Release
    action: str

    @property
    def label(self) -> str:
        return NEXT_STEPS[self.action]


@dataclass
class MyWork:
    gates: Listing
    items: Listing
    to_send: Listing
    to_acknowledge: Listing
    next_steps: Listing
    now: datetime

    @property
    def empty(self) -> bool:
        return not (
            self.gates or self.items or self.to_send or self.to_acknowledge or self.next_steps
        )


def _held(user: AbstractBaseUser, role_ref: str) -> Exists:
    return Exists(
        RoleAssignment.objects.filter(release=OuterRef("release"), role=OuterRef(role_ref)).filter(
            Q(holder=user) | Q(backup=user)
        )
    )


def _phase_open(phases: dict[str, frozenset[str]], phase_field: str) -> Q:
    condition = Q(pk__in=[])
    for phase, stages in phases.items():
        condition |= Q(**{phase_field: phase}, release__stage__in=stages)
    return condition


def _may_take(user: AbstractBaseUser, action: str) -> Q:
    """Releases in a stage where `action` applies, on which `user` holds a role that may take it."""
    holds = RoleAssignment.objects.filter(
        release=OuterRef("pk"), role__key__in=permissions.ACTION_ROLES[action]
    ).filter(Q(holder=user) | Q(backup=user))
    return Q(Exists(holds), stage__in=lifecycle.TRANSITIONS[action].sources)


def _next_steps(user: AbstractBaseUser) -> Listing:
    # One query whatever the number of releases: each row says which step it is waiting for.
    conditions = {action: _may_take(user, action) for action in NEXT_STEPS}
    condition = Q(pk__in=[])
    for one in conditions.values():
        condition |= one
    listing = _first(
        Release.objects.filter(condition)
        .annotate(
            next_action=Case(
                *(When(c, then=Value(action)) for action, c in conditions.items()),
                output_field=CharField(),
            )
        )
        .order_by(F("window_start").asc(nulls_last=True), "id")
    )
    return Listing([NextStep(r, r.next_action) for r in listing.rows], listing.total)


def my_work(user: AbstractBaseUser) -> MyWork:
    gates = _first(
        signable_gates(user)
        .filter(release__stage__in=lifecycle.SIGNING_STAGES, opened_at__isnull=False)
        .exclude(state=GateState.APPROVED)
        .select_related("release", "role")
        .order_by("opened_at", "id")
    )
    items = _first(
        ChecklistItem.objects.filter(
            _held(user, "template__owner"),
            _phase_open(lifecycle.PHASE_STAGES, "template__phase"),
            state=ChecklistState.OPEN,
            template__kind=ChecklistKind.MANUAL,
        )
        .select_related("release", "template__owner")
        .order_by("release__window_start", "release_id", "template__group", "template__position")
    )
    to_send = _first(
        Handoff.objects.filter(
            _held(user, "template__from_role"),
            _phase_open(lifecycle.HANDOFF_PHASE_STAGES, "template__phase"),
            state=HandoffState.PENDING,
        )
        .select_related("release", "template__from_role", "template__to_role")
        .order_by("due_at", "release_id", "template__position")
    )
    to_acknowledge = _first(
        # Only while acknowledging can still matter: a pre-deploy hand-off is moot once deployed.
        Handoff.objects.filter(
            _held(user, "template__to_role"),
            _phase_open(lifecycle.ACKNOWLEDGE_PHASE_STAGES, "template__phase"),
            state=HandoffState.SENT,
        )
        .select_related("release", "template__from_role", "template__to_role", "sent_by")
        .order_by("sent_at")
    )
    return MyWork(gates, items, to_send, to_acknowledge, _next_steps(user), timezone.now())
