"""One release's page, and what an edit of it would turn stale."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Prefetch, Subquery

from signoffs.models import GateState, SignOff
from signoffs.selectors import says_proceed

from .. import changes, lifecycle
from ..models import (
    AuditEvent,
    ChecklistGroup,
    ChecklistItem,
    ChecklistState,
    DeployOverride,
    Duty,
    DutyException,
    DutyPhase,
    Handoff,
    IncidentState,
    Release,
    RoleAssignment,
)
from .dashboard import ReleaseSummary, summarize
from .incidents import incidents_prefetch, prepare_incidents


def approvals_affected_by(release: Release, data: dict[str, Any]) -> int:
    """How many approvals a save of `data` would turn stale (for the warning before saving)."""
    if not set(changes.changed_fields(release, data)) & set(Release.SCOPE_FIELDS):
        return 0
    return release.signoffs.filter(state=GateState.APPROVED).count()


# The release page shows this many of the latest audit events; the audit page, all of them.
TIMELINE_ROWS = 25


def release_page(release_id: int) -> tuple[Release, ReleaseSummary]:
    """One release with everything its page shows, in a fixed number of queries."""
    release = (
        Release.objects.filter(pk=release_id)
        .select_related("rolled_back_to", "superseded_by", "created_by", "fixes_incident__release")
        # The reason of a deploy override waiting to be used (None without one): no query more.
        .annotate(
            override_reason=Subquery(
                DeployOverride.objects.filter(release=OuterRef("pk"), used_at__isnull=True)
                .order_by("created_at", "id")
                .values("reason")[:1]
            )
        )
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
                "duties",
                queryset=Duty.objects.select_related("role", "done_by"),
                to_attr="duty_list",
            ),
            incidents_prefetch(),
            # Admins' exceptions to separation of duties, shown with who holds which role.
            Prefetch(
                "duty_exceptions",
                queryset=DutyException.objects.select_related("person", "created_by").order_by(
                    "id"
                ),
                to_attr="exception_list",
            ),
            # The latest events only (one more, to know whether there are others): a release
            # with years of pipeline traffic would otherwise render its whole trail every time.
            Prefetch(
                "audit_events",
                queryset=AuditEvent.objects.select_related("actor", "on_behalf_of").order_by(
                    "-created_at", "-id"
                )[: TIMELINE_ROWS + 1],
                to_attr="timeline",
            ),
        )
        .get()
    )
    # The guide's order: pre-release requirements, then the deployment checklist.
    group_order = {value: i for i, value in enumerate(ChecklistGroup.values)}
    release.checklist_items.sort(key=lambda i: (group_order[i.template.group], i.template.position))
    # Each role's duties in the guide's order of phases.
    phase_order = {value: i for i, value in enumerate(DutyPhase.values)}
    release.duty_list.sort(key=lambda d: (d.role.position, phase_order[d.phase]))
    release.gate_handoffs = [h for h in release.handoff_list if h.template.is_gate]
    release.timeline_more = len(release.timeline) > TIMELINE_ROWS
    release.timeline = release.timeline[:TIMELINE_ROWS]
    prepare_incidents(release)
    # What a dashboard card reads as annotations (newest first, as incidents are ordered).
    open_incidents = [i for i in release.incident_list if i.state == IncidentState.OPEN]
    release.open_incident_count = len(open_incidents)
    release.open_incident_title = open_incidents[0].title if open_incidents else ""
    release.checklist_total = len(release.checklist_items)
    release.checklist_done = sum(i.state != ChecklistState.OPEN for i in release.checklist_items)
    return release, summarize(release)


def next_step_blockers(
    release: Release, *, freezes: list[Any] | None = None, failed_scan: Any = None
) -> list[lifecycle.readiness.Blocker]:
    """What still blocks the next step of a release loaded by `release_page`, from its rows,
    the active `freezes` (`selectors.release_freezes`) and the latest security scan when it
    failed (`selectors.pipeline_card`); no query."""
    rows = lifecycle.readiness.Rows(
        items=release.checklist_items,
        handoffs=release.handoff_list,
        gates=list(release.signoffs.all()),
        assignments=list(release.assignments.all()),
        duties=getattr(release, "duty_list", []),
        incidents=release.incident_list,
        action_items=[a for i in release.incident_list for a in i.item_list],
        freezes=freezes or [],
        override=getattr(release, "override_reason", None),
        failed_scan=failed_scan,
    )
    return lifecycle.readiness.blockers(release, rows, says_proceed=says_proceed)
