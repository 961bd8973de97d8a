"""Deploy freezes: the Project Manager and on-call hear that a deploy may go through a freeze
or outside its window, and why."""

from __future__ import annotations

from notifications.outbox import Recipient, notify, recipients

from .. import wording
from ..models import AuditEvent, DeployOverride, Release, RoleKey
from .common import oncall, release_link, role_people


def _once_each(people: list[Recipient]) -> list[Recipient]:
    """On-call may share an address with a person: one email per address."""
    seen: dict[str, Recipient] = {}
    for r in people:
        seen.setdefault(r.email.lower(), r)
    return list(seen.values())


def deploy_override_recorded(release: Release, override: DeployOverride, event: AuditEvent) -> None:
    notify(
        key=f"ev{event.pk}:deploy-override",
        kind="deploy_override",
        to=_once_each([*recipients(role_people(release, RoleKey.PROJECT_MANAGER)), *oncall()]),
        subject=f"Deploy override on {release}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release),
            "body": override.reason,
            "link": release_link(release, "next-step"),
            "link_text": "Open the release",
        },
    )
