"""A small history built row by row with exact times, so each test can work its figures out by
hand. Times are UTC unless a test says otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from releases.models import AuditEvent, Handoff, HandoffTemplate, Incident, Release, Role, Stage
from signoffs.models import GateState, SignOff


def at(day: str, hm: str = "00:00") -> datetime:
    """at("03-02", "10:00") is 2026-03-02 10:00 UTC."""
    return datetime.fromisoformat(f"2026-{day}T{hm}").replace(tzinfo=UTC)


class History:
    def __init__(self, user: Any) -> None:
        self.user = user
        self.versions = iter(range(1, 1000))

    def release(
        self, release_type: str = "minor", stage: str = Stage.CLOSED, **times: Any
    ) -> Release:
        release = Release.objects.create(
            name=f"R{next(self.versions)}",
            version=f"1.{len(Release.objects.all())}.0",
            release_type=release_type,
            stage=stage,
            created_by=self.user,
        )
        # created_at is auto_now_add: set it afterwards, with the other times.
        Release.objects.filter(pk=release.pk).update(**times)
        release.refresh_from_db()
        return release

    def incident(self, release: Release, opened: datetime, **times: Any) -> Incident:
        incident = Incident.objects.create(release=release, title="Down", opened_by=self.user)
        state = "resolved" if times.get("resolved_at") else "open"
        Incident.objects.filter(pk=incident.pk).update(opened_at=opened, state=state, **times)
        incident.refresh_from_db()
        return incident

    def gate(
        self,
        release: Release,
        role: str,
        opened: datetime | None,
        decided: datetime | None = None,
        state: str = GateState.APPROVED,
        **counts: int,
    ) -> SignOff:
        return SignOff.objects.create(
            release=release,
            role=Role.objects.get(key=role),
            opened_at=opened,
            decided_at=decided,
            state=state if decided else GateState.PENDING,
            **counts,
        )

    def handoff(
        self,
        release: Release,
        key: str,
        due: datetime,
        sent: datetime | None,
        overdue: datetime | None = None,
    ) -> Handoff:
        return Handoff.objects.create(
            release=release,
            template=HandoffTemplate.objects.get(key=key),
            due_at=due,
            overdue_at=overdue,
            sent_at=sent,
            state="sent" if sent else "pending",
        )

    def event(self, release: Release, verb: str, role_name: str, when: datetime) -> AuditEvent:
        return AuditEvent.objects.create(
            release=release, actor=self.user, verb=verb, subject=role_name, created_at=when
        )
