"""My work: what waits for one person, most urgent first, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.utils import timezone

from signoffs.models import GateState
from signoffs.permissions import signable_gates

from .. import lifecycle, permissions
from ..models import (
    ActionItem,
    ActionItemState,
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Duty,
    DutyPhase,
    DutyState,
    Handoff,
    HandoffState,
    Release,
    RoleKey,
)
from .acting import acts, for_whom, gates_for_whom, label

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
    duties: Listing = field(default_factory=lambda: Listing([], 0))
    # Open incident action items the user owns, soonest due first.
    action_items: Listing = field(default_factory=lambda: Listing([], 0))

    @property
    def empty(self) -> bool:
        return not (
            self.gates
            or self.items
            or self.to_send
            or self.to_acknowledge
            or self.next_steps
            or self.duties
            or self.action_items
        )

    @property
    def today(self) -> date:
        """For "overdue": an action item is due for the whole of its due date."""
        return timezone.localdate(self.now)


def _held(user: AbstractBaseUser, role_ref: str, givers: list[int] | None = None) -> Q:
    return acts(user, givers or [], "release", role=OuterRef(role_ref))


def _phase_open(phases: dict[str, frozenset[str]], phase_field: str) -> Q:
    condition = Q(pk__in=[])
    for phase, stages in phases.items():
        condition |= Q(**{phase_field: phase}, release__stage__in=stages)
    return condition


def _may_take(user: AbstractBaseUser, action: str, givers: list[int]) -> Q:
    """Releases in a stage where `action` applies, on which `user` holds a role that may take it
    (or acts for someone who does)."""
    holds = acts(user, givers, "pk", role__key__in=permissions.ACTION_ROLES[action])
    return holds & Q(stage__in=lifecycle.TRANSITIONS[action].sources)


def _next_steps(user: AbstractBaseUser, givers: dict[int, Any] | None = None) -> Listing:
    # One query whatever the number of releases: each row says which step it is waiting for.
    givers = givers or {}
    conditions = {action: _may_take(user, action, list(givers)) for action in NEXT_STEPS}
    condition = Q(pk__in=[])
    for one in conditions.values():
        condition |= one
    # Whom the user would act for: the holder of any role that may take a listed step.
    roles = {k for action in NEXT_STEPS for k in permissions.ACTION_ROLES[action]}
    listing = _first(
        for_whom(Release.objects.filter(condition), user, givers, "pk", role__key__in=roles)
        .annotate(
            next_action=Case(
                *(When(c, then=Value(action)) for action, c in conditions.items()),
                output_field=CharField(),
            )
        )
        .order_by(F("window_start").asc(nulls_last=True), "id")
    )
    return label(
        Listing([NextStep(r, r.next_action) for r in listing.rows], listing.total),
        givers,
        annotated=lambda step: step.release,
    )


def _duties(user: AbstractBaseUser, givers: dict[int, Any] | None = None) -> Listing:
    """Open duties the user may mark done now: the Product Manager's final release decision
    on an approved release, the other release-day and post-release duties once deployed (the
    stages come from `lifecycle`, the same tables `duty_actions` reads)."""
    final = Q(phase=DutyPhase.RELEASE_DAY, role__key=RoleKey.PRODUCT_MANAGER)
    condition = Q(final, release__stage__in=lifecycle.FINAL_DECISION_STAGES) | Q(
        _phase_open(lifecycle.DUTY_PHASE_STAGES, "phase"), ~final
    )
    givers = givers or {}
    qs = Duty.objects.filter(condition, _held(user, "role", list(givers)), state=DutyState.OPEN)
    return _first(
        for_whom(qs, user, givers, "release", role=OuterRef("role"))
        .select_related("release", "role")
        .annotate(
            phase_order=Case(
                *(When(phase=p, then=Value(i)) for i, p in enumerate(DutyPhase.values)),
                output_field=IntegerField(),
            )
        )
        .order_by(
            F("release__deployed_at").asc(nulls_first=True),
            "release_id",
            "role__position",
            "phase_order",
        )
    )


def my_work(user: AbstractBaseUser) -> MyWork:
    # The one query delegation adds: who delegates to this user now (with their names).
    givers = {
        d.person_id: d.person for d in permissions.delegations_to(user).select_related("person")
    }
    ids = list(givers)
    gates = _first(
        gates_for_whom(signable_gates(user), user, givers)
        .filter(release__stage__in=lifecycle.SIGNING_STAGES, opened_at__isnull=False)
        .exclude(state=GateState.APPROVED)
        .select_related("release", "role")
        .order_by("opened_at", "id")
    )
    items = _first(
        for_whom(
            ChecklistItem.objects.filter(
                _held(user, "template__owner", ids),
                _phase_open(lifecycle.PHASE_STAGES, "template__phase"),
                state=ChecklistState.OPEN,
                template__kind=ChecklistKind.MANUAL,
            ),
            user,
            givers,
            "release",
            role=OuterRef("template__owner"),
        )
        .select_related("release", "template__owner")
        .order_by("release__window_start", "release_id", "template__group", "template__position")
    )
    to_send = _first(
        for_whom(
            Handoff.objects.filter(
                _held(user, "template__from_role", ids),
                _phase_open(lifecycle.HANDOFF_PHASE_STAGES, "template__phase"),
                state=HandoffState.PENDING,
            ),
            user,
            givers,
            "release",
            role=OuterRef("template__from_role"),
        )
        .select_related("release", "template__from_role", "template__to_role")
        .order_by("due_at", "release_id", "template__position")
    )
    to_acknowledge = _first(
        # Only while acknowledging can still matter: a pre-deploy hand-off is moot once deployed.
        for_whom(
            Handoff.objects.filter(
                _held(user, "template__to_role", ids),
                _phase_open(lifecycle.ACKNOWLEDGE_PHASE_STAGES, "template__phase"),
                state=HandoffState.SENT,
            ),
            user,
            givers,
            "release",
            role=OuterRef("template__to_role"),
        )
        .select_related("release", "template__from_role", "template__to_role", "sent_by")
        .order_by("sent_at")
    )
    return MyWork(
        label(gates, givers),
        label(items, givers),
        label(to_send, givers),
        label(to_acknowledge, givers),
        _next_steps(user, givers),
        timezone.now(),
        duties=label(_duties(user, givers), givers),
        action_items=_first(
            ActionItem.objects.filter(owner=user, state=ActionItemState.OPEN)
            .select_related("incident__release")
            .order_by("due_on", "id")
        ),
    )
