"""What still blocks a release's next step (move to staging, deploy, close), each blocker with
the person who can clear it and where on the release page to do it.

One function, two callers: the release page lists the blockers from the rows it already
loaded, and the step's service loads the same rows under the release lock and refuses with
the same list. `blockers` is pure: it reads lists and runs no query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone

from octoacme.errors import Refused
from octoacme.names import display_name

from .. import freezes as freeze_rules
from ..models import (
    ActionItem,
    ActionItemState,
    ChecklistGroup,
    ChecklistKind,
    ChecklistPhase,
    ChecklistState,
    Duty,
    DutyPhase,
    DutyState,
    EvidenceKind,
    EvidenceRecord,
    Handoff,
    HandoffDecision,
    HandoffState,
    Incident,
    IncidentState,
    Release,
    Role,
    RoleAssignment,
    RoleKey,
    Stage,
)
from ..timefmt import format_time
from .tables import GateState

# The release step that comes next in each stage, and how a refusal of it starts. In staging
# the next step is the Project Manager's confirmation, a gate with its own page.
NEXT_STEP: dict[str, str] = {
    Stage.PLANNING: "stage",
    Stage.APPROVED: "deploy",
    Stage.DEPLOYED: "close",
}
REFUSAL: dict[str, str] = {
    "stage": "Cannot move to staging yet",
    "deploy": "Cannot record the production deploy yet",
    "close": "Cannot close yet",
}
# How the release page names each step above its list of blockers ("Before you can ...").
STEP_LABELS: dict[str, str] = {
    "stage": "move to staging",
    "deploy": "record the production deploy",
    "close": "close the release",
}
NOBODY = "nobody holds it"


@dataclass(frozen=True)
class Blocker:
    """One thing in the way: what, who clears it (a role's holder, or a person), where."""

    text: str
    role: str  # the role whose holder clears it; "" when a person owns it outright
    who: str  # that person's display name, or NOBODY
    anchor: str  # the section of the release page: checklist, handoffs, duties, ...

    @property
    def owner(self) -> str:
        # Just the role where the person's name already says it (the demo accounts' names).
        if not self.role or self.who == self.role:
            return self.role or self.who
        return f"{self.role} ({self.who})"

    def __str__(self) -> str:
        return f"{self.text} ({self.owner})"


@dataclass
class Rows:
    """A release's rows that readiness reads, loaded by the page or by `load` in a service.

    Related rows must be loaded with them: items with `template__owner`, hand-offs with
    `template__from_role`/`template__to_role`, gates and duties and assignments with `role`
    (assignments with `holder`), action items with `owner`.
    """

    items: Sequence[Any]
    handoffs: Sequence[Handoff]
    gates: Sequence[Any]
    assignments: Sequence[RoleAssignment]
    duties: Sequence[Duty] = ()
    incidents: Sequence[Incident] = ()
    action_items: Sequence[ActionItem] = ()
    # The deploy's timing: the active freezes (`freezes.active`), whether an unused deploy
    # override waits (a `DeployOverride`, or True where a page only knows it exists), and
    # the instant to judge (now when None).
    freezes: Sequence[Any] = ()
    override: Any = None
    now: datetime | None = None
    # The release's latest security scan (an `EvidenceRecord`) when it failed: it blocks the
    # deploy with its link until a later scan passes.
    failed_scan: Any = None
    holders: dict[int, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.holders = {a.role_id: a.holder for a in self.assignments}

    def blocker(self, text: str, role: Role, anchor: str) -> Blocker:
        who = display_name(self.holders.get(role.pk), nobody=NOBODY)
        return Blocker(text, role.name, who, anchor)

    def role(self, key: str) -> Role | None:
        return next((a.role for a in self.assignments if a.role.key == key), None)


def next_step(stage: str) -> str | None:
    return NEXT_STEP.get(stage)


def blockers(
    release: Release, rows: Rows, *, says_proceed: Callable[[Handoff], bool]
) -> list[Blocker]:
    """What blocks the next step of `release` in its stage ([] when nothing does or there is
    no such step). `says_proceed` is the sign-off layer's rule for the QA Lead's hand-off
    (`signoffs.selectors.says_proceed`), passed in because the lifecycle sits below it."""
    step = next_step(release.stage)
    if step == "stage":
        return _stage(rows)
    if step == "deploy":
        return deploy_blockers(release, rows, says_proceed=says_proceed)
    if step == "close":
        return _close(rows)
    return []


def deploy_blockers(
    release: Release, rows: Rows, *, says_proceed: Callable[[Handoff], bool]
) -> list[Blocker]:
    """What blocks the production deploy, whatever the stage: the deploy step's list, and
    what a pipeline's gate check asks about a release still in sign-off (`rows` loaded with
    `load(release, deploying=True)`)."""
    return _deploy(rows, says_proceed) + ([] if rows.override else timing(release, rows))


def require_ready(release: Release, rows: Rows, *, says_proceed: Callable[[Handoff], bool]) -> None:
    """For a step's service, under the release lock: refuse with the page's list."""
    found = blockers(release, rows, says_proceed=says_proceed)
    if found:
        step = next_step(release.stage) or ""
        raise Refused(refusal(step, found))


def refusal(step: str, found: Iterable[Blocker]) -> str:
    return f"{REFUSAL.get(step, 'Not possible yet')}: " + "; ".join(map(str, found)) + "."


def load(release: Release, *, deploying: bool | None = None) -> Rows:
    """The rows `blockers` reads, for a service holding the release lock. `deploying`: load
    what the deploy's timing needs (by default, when the deploy is the next step)."""
    if deploying is None:
        deploying = next_step(release.stage) == "deploy"
    now = timezone.now()
    return Rows(
        items=list(release.checklist.select_related("template__owner")),
        handoffs=list(release.handoffs.select_related("template__from_role", "template__to_role")),
        # The gate model lives in `signoffs`, above the lifecycle: reached by its relation.
        gates=list(release.signoffs.select_related("role")),
        assignments=list(release.assignments.select_related("role", "holder")),
        duties=list(release.duties.select_related("role")),
        incidents=list(release.incidents.all()),
        action_items=list(
            ActionItem.objects.filter(incident__release=release).select_related("owner")
        ),
        freezes=freeze_rules.active(now) if deploying else (),
        # The oldest unused override; the deploy it lets through marks it used. Overrides are
        # recorded and used under the release's lock, which the caller holds.
        override=release.deploy_overrides.filter(used_at__isnull=True)
        .order_by("created_at", "id")
        .first()
        if deploying
        else None,
        now=now,
        failed_scan=failed_scan(release),
    )


def failed_scan(release: Release) -> EvidenceRecord | None:
    """The release's latest security scan, when it failed (one query)."""
    latest = release.evidence_records.filter(kind=EvidenceKind.SECURITY_SCAN).first()
    return latest if latest is not None and not latest.passed else None


# --- Each step's blockers -----------------------------------------------------------------------


def _item(rows: Rows, item: Any) -> Blocker:
    t = item.template
    return rows.blocker(f"Checklist item “{t.text}” is open", t.owner, "checklist")


def _stage(rows: Rows) -> list[Blocker]:
    found = [
        _item(rows, i)
        for i in rows.items
        if i.template.group == ChecklistGroup.PRE_RELEASE and i.state == ChecklistState.OPEN
    ]
    # Sign-off starts with the move: every gate needs someone to sign it.
    found += [
        rows.blocker(
            "Every role needs a holder before sign-off starts; an admin assigns one",
            a.role,
            "h-roles",
        )
        for a in rows.assignments
        if a.holder_id is None
    ]
    return found


def _deploy(rows: Rows, says_proceed: Callable[[Handoff], bool]) -> list[Blocker]:
    found = [
        _item(rows, i)
        for i in rows.items
        if i.template.phase == ChecklistPhase.PRE_DEPLOY
        and i.template.kind == ChecklistKind.MANUAL
        and i.state == ChecklistState.OPEN
    ]
    for h in rows.handoffs:
        t = h.template
        if not t.is_gate:
            continue
        if h.decision == HandoffDecision.HOLD and h.state != HandoffState.PENDING:
            why = h.response or h.notes
            found.append(
                rows.blocker(f"The {t.to_role.name} put a hold on: {why}", t.to_role, "handoffs")
            )
        elif h.state == HandoffState.PENDING:
            found.append(rows.blocker(f"The {t} hand-off is not sent", t.from_role, "handoffs"))
        elif not says_proceed(h):
            found.append(
                rows.blocker(f"The {t} hand-off does not say “proceed”", t.to_role, "handoffs")
            )
    found += [
        rows.blocker(f"The {g.role.name} gate is {g.get_state_display().lower()}", g.role, "gates")
        for g in rows.gates
        if g.state != GateState.APPROVED and not g.retroactive
    ]
    # A gate the policy lets sign after the deploy need not be signed yet, but a "no" from
    # it stops the deploy all the same: its holder approves once what they rejected is fixed.
    found += [
        rows.blocker(
            f"The {g.role.name} gate is rejected (it may sign after the deploy, but said no)",
            g.role,
            "gates",
        )
        for g in rows.gates
        if g.retroactive and g.state == GateState.REJECTED
    ]
    if rows.failed_scan is not None:
        devops = rows.role(RoleKey.DEVOPS_ENGINEER)
        text = f"The latest security scan failed: {rows.failed_scan.url}"
        found.append(
            rows.blocker(text, devops, "pipeline")
            if devops
            else Blocker(text, "", NOBODY, "pipeline")
        )
    # The Product Manager's "Approve final release decision" is recorded before the deploy.
    found += [
        rows.blocker(
            f"The Product Manager has not recorded “{d.text}” yet",
            d.role,
            "duties",
        )
        for d in rows.duties
        if d.role.key == RoleKey.PRODUCT_MANAGER
        and d.phase == DutyPhase.RELEASE_DAY
        and d.state == DutyState.OPEN
    ]
    return found


def timing(release: Release, rows: Rows) -> list[Blocker]:
    """A freeze in force, or a moment outside the release's deployment window: the Project
    Manager (or an admin) may let the deploy through with an override, so they own it.
    Listed whether or not an override waits (the deploy service asks, to mark it used)."""
    now = rows.now or timezone.now()
    pm = rows.role(RoleKey.PROJECT_MANAGER)
    found = []
    frozen = freeze_rules.in_force(rows.freezes, now)
    if frozen is not None:
        found.append(f"Deploys are frozen until {frozen.ends()}: {frozen.reason}")
    outside = freeze_rules.outside_window(release.window_start, release.window_end, now)
    if outside:
        found.append(outside)
    return [
        rows.blocker(text, pm, "next-step") if pm else Blocker(text, "", NOBODY, "next-step")
        for text in found
    ]


def _close(rows: Rows) -> list[Blocker]:
    # A retroactive gate (see `_retroactive`) is named once, as a gate, not as its checklist item.
    retroactive = {g.role_id for g in rows.gates if g.retroactive}
    found = [
        _item(rows, i)
        for i in rows.items
        if i.state == ChecklistState.OPEN
        and not (i.template.kind == ChecklistKind.GATE and i.template.owner_id in retroactive)
    ]
    found += _retroactive(rows)
    for h in rows.handoffs:
        t = h.template
        if t.phase != ChecklistPhase.POST_DEPLOY or h.state == HandoffState.ACKNOWLEDGED:
            continue
        if h.state == HandoffState.PENDING:
            found.append(rows.blocker(f"The {t} hand-off is not sent", t.from_role, "handoffs"))
        else:
            found.append(
                rows.blocker(f"The {t} hand-off is not acknowledged", t.to_role, "handoffs")
            )
    found += [
        rows.blocker(f"{d.role.name} duty “{d.text}” is not done", d.role, "duties")
        for d in rows.duties
        if d.phase in (DutyPhase.RELEASE_DAY, DutyPhase.POST_RELEASE) and d.state == DutyState.OPEN
    ]
    devops, pm = rows.role(RoleKey.DEVOPS_ENGINEER), rows.role(RoleKey.PROJECT_MANAGER)
    for incident in rows.incidents:
        if incident.state == IncidentState.OPEN:
            found.append(_incident(rows, f"Incident “{incident}” is open", devops))
        elif incident.review_closed_at is None:
            found.append(_incident(rows, f"The review of incident “{incident}” is not closed", pm))
    found += [
        Blocker(
            f"Action item “{a.text}” is open (due {a.due_on:%Y-%m-%d})",
            "",
            display_name(a.owner, nobody=NOBODY),
            "incidents",
        )
        for a in rows.action_items
        if a.state == ActionItemState.OPEN
    ]
    return found


def _retroactive(rows: Rows) -> list[Blocker]:
    """Gates signed after the deploy under an expedited policy keep the release open until
    they approve; a rejection stays a blocker until its holder approves after a fix."""
    found = []
    for g in rows.gates:
        if not g.retroactive or g.state == GateState.APPROVED:
            continue
        due = f", due {format_time(g.due_at)}" if g.due_at else ""
        text = (
            f"The {g.role.name} gate rejected the deployed release"
            if g.state == GateState.REJECTED
            else f"The {g.role.name} gate is not signed yet (retroactive{due})"
        )
        found.append(rows.blocker(text, g.role, "gates"))
    return found


def _incident(rows: Rows, text: str, role: Role | None) -> Blocker:
    if role is None:  # Every release has its seven assignments; without one, say nobody.
        return Blocker(text, "", NOBODY, "incidents")
    return rows.blocker(text, role, "incidents")
