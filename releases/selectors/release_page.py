"""One release's page, and what an edit of it would turn stale."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from signoffs.models import GateState, SignOff

from .. import changes
from ..models import (
    AuditEvent,
    ChecklistGroup,
    ChecklistItem,
    ChecklistState,
    Handoff,
    Incident,
    Release,
    RoleAssignment,
)
from .dashboard import ReleaseSummary, summarize


def approvals_affected_by(release: Release, data: dict[str, Any]) -> int:
    """How many approvals a save of `data` would turn stale (for the warning before saving)."""
    if not set(changes.changed_fields(release, data)) & set(Release.SCOPE_FIELDS):
        return 0
    return release.signoffs.filter(state=GateState.APPROVED).count()


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
