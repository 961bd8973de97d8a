"""Reads of releases for pipelines and bots (scope releases:read).

The detail reuses the release page's selector and its blocker list (releases.selectors,
releases.lifecycle.readiness), so the API and the page never disagree about what blocks.
"""

# No `from __future__ import annotations`: ninja reads these annotations at import time.
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from api.auth import TokenAuth
from api.errors import AUTH_ERRORS, ErrorOut, ValidationErrorOut, not_found
from api.models import Scope
from octoacme.names import display_name
from releases import lifecycle, selectors
from releases.lifecycle.readiness import next_step
from releases.models import (
    EvidenceRecord,
    IncidentState,
    Release,
    ReleaseType,
    Stage,
)

router = Router(tags=["releases"])
READ = TokenAuth(Scope.RELEASES_READ)


class PersonOut(Schema):
    username: str
    name: str


class ReleaseListOut(Schema):
    id: int
    name: str
    version: str
    type: ReleaseType
    stage: Stage
    window_start: datetime | None
    window_end: datetime | None
    url: str = Field(description="The release's page, for people")


class GateOut(Schema):
    role: str
    state: str = Field(description="pending, approved or rejected")
    stale: bool = Field(description="An approval the release changed under; to be signed again")
    holder: PersonOut | None
    backup: PersonOut | None
    decided_by: PersonOut | None
    decided_at: datetime | None
    pending_who: list[PersonOut] = Field(
        description="Who can decide it while it waits: the holder and the backup; [] once decided"
    )


class EvidenceOut(Schema):
    kind: str
    passed: bool
    url: str
    commit_sha: str
    recorded_at: datetime


class ChecklistItemOut(Schema):
    id: int
    key: str
    text: str
    group: str
    owner_role: str
    state: str
    evidence: str = Field(description="Links or notes ticked with the item, by people")
    evidence_records: list[EvidenceOut] = Field(description="Results pipelines recorded")


class HandoffOut(Schema):
    id: int
    key: str
    what: str
    from_role: str
    to_role: str
    state: str
    decision: str
    due_at: datetime | None
    overdue_at: datetime | None


class BlockerOut(Schema):
    text: str
    role: str = Field(description="The role whose holder clears it; empty for a person")
    who: str
    anchor: str = Field(description="The release page's section where it is cleared")


class IncidentOut(Schema):
    id: int
    title: str
    severity: str
    opened_at: datetime


class ReleaseOut(ReleaseListOut):
    next_step: str | None = Field(description="stage, deploy or close; null when finished")
    gates: list[GateOut]
    checklist: list[ChecklistItemOut]
    handoffs: list[HandoffOut]
    blockers: list[BlockerOut] = Field(description="What blocks the next step, and who clears it")
    open_incidents: list[IncidentOut]


class ReleaseFilters(Schema):
    stage: Stage | None = None
    type: ReleaseType | None = None


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": display_name(user)}


def _listed(release: Release) -> dict[str, Any]:
    return {
        "id": release.pk,
        "name": release.name,
        "version": release.version,
        "type": release.release_type,
        "stage": release.stage,
        "window_start": release.window_start,
        "window_end": release.window_end,
        "url": reverse("release-detail", args=[release.pk]),
    }


@router.get(
    "/releases",
    auth=READ,
    response={200: list[ReleaseListOut], 422: ValidationErrorOut, **AUTH_ERRORS},
    summary="List releases (newest first), filtered by stage and type",
)
@paginate(LimitOffsetPagination)
def release_list(request: HttpRequest, filters: Query[ReleaseFilters]) -> Any:
    releases = Release.objects.order_by("-id")
    if filters.stage:
        releases = releases.filter(stage=filters.stage)
    if filters.type:
        releases = releases.filter(release_type=filters.type)
    # A lazy map: the paginator slices the queryset first, so only one page is built.
    return _Mapped(releases)


class _Mapped:
    """A queryset seen through `_listed`, sliceable and countable as the paginator needs."""

    def __init__(self, queryset: Any) -> None:
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict[str, Any]]:
        return [_listed(r) for r in self.queryset[index]]


@router.get(
    "/releases/{release_id}",
    auth=READ,
    response={200: ReleaseOut, 404: ErrorOut, 422: ValidationErrorOut, **AUTH_ERRORS},
    summary="One release: gates and who is pending, checklist, hand-offs, blockers, incidents",
)
def release_detail(request: HttpRequest, release_id: int) -> Any:
    try:
        release, summary = selectors.release_page(release_id)
    except Release.DoesNotExist:
        raise not_found(f"No release has the id {release_id}.") from None
    # The same blockers as the release page, a failing security scan included.
    blockers = selectors.next_step_blockers(
        release,
        freezes=selectors.release_freezes(release, timezone.now()),
        failed_scan=lifecycle.readiness.failed_scan(release),
    )
    assignments = {a.role_id: a for a in release.assignments.all()}
    evidence: dict[int, list[dict[str, Any]]] = {}
    # One query for every item's pipeline results (the page selector does not load them).
    for record in EvidenceRecord.objects.filter(release=release, item__isnull=False):
        evidence.setdefault(record.item_id, []).append(
            {
                "kind": record.kind,
                "passed": record.passed,
                "url": record.url,
                "commit_sha": record.commit_sha,
                "recorded_at": record.created_at,
            }
        )
    gates = []
    for view in summary.gates:
        gate, held = view.gate, assignments.get(view.gate.role_id)
        backup = held.backup if held else None
        gates.append(
            {
                "role": gate.role.name,
                "state": gate.state,
                "stale": gate.stale,
                "holder": _person(view.holder),
                "backup": _person(backup),
                "decided_by": _person(gate.decided_by),
                "decided_at": gate.decided_at,
                "pending_who": [_person(u) for u in (view.holder, backup) if u is not None]
                if gate.state == "pending"
                else [],
            }
        )
    return {
        **_listed(release),
        "next_step": next_step(release.stage),
        "gates": gates,
        "checklist": [
            {
                "id": item.pk,
                "key": item.template.key,
                "text": item.template.text,
                "group": item.template.group,
                "owner_role": item.template.owner.name,
                "state": item.state,
                "evidence": item.evidence,
                "evidence_records": evidence.get(item.pk, []),
            }
            for item in release.checklist_items
        ],
        "handoffs": [
            {
                "id": h.pk,
                "key": h.template.key,
                "what": h.template.what,
                "from_role": h.template.from_role.name,
                "to_role": h.template.to_role.name,
                "state": h.state,
                "decision": h.decision,
                "due_at": h.due_at,
                "overdue_at": h.overdue_at,
            }
            for h in release.handoff_list
        ],
        "blockers": [
            {"text": b.text, "role": b.role, "who": b.who, "anchor": b.anchor} for b in blockers
        ],
        "open_incidents": [
            {"id": i.pk, "title": i.title, "severity": i.severity, "opened_at": i.opened_at}
            for i in release.incident_list
            if i.state == IncidentState.OPEN
        ],
    }
