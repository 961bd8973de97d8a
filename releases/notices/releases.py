"""A release's own steps: approved, downgraded, back to staging, cancelled (the deploy's
announcement, with each person's duties, is in `duties`)."""

from __future__ import annotations

from notifications.outbox import notify, recipients

from .. import wording
from ..models import AuditEvent, Release, RoleKey, Stage
from .common import release_link, role_people


def release_approved(release: Release, event: AuditEvent) -> None:
    notify(
        key=f"ev{event.pk}:approved",
        kind="release_approved",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER)),
        subject=f"{release} is approved for production",
        release_id=release.pk,
        context={
            "headline": f"All seven sign-offs of {release} are in. It is ready to deploy.",
            "link": release_link(release),
            "link_text": "Record the production deploy",
        },
    )


def downgrade_deployed(
    release: Release, higher: Release, replaced: Release | None, event: AuditEvent
) -> None:
    """A deliberate downgrade is announced to everyone with a role on either release."""
    people = role_people(release, *RoleKey.values)
    if replaced is not None:
        people += role_people(replaced, *RoleKey.values)
    notify(
        key=f"ev{event.pk}:downgrade",
        kind="downgrade_deployed",
        to=recipients(people),
        subject=f"Downgrade: {release} deployed below {higher.version}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + f" It replaces {higher.version} ({higher.name}) in production.",
            "body": event.comment,
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )


def release_reopened(release: Release, event: AuditEvent) -> None:
    """An approved release went back to staging (scope change, reassignment, QA hold)."""
    notify(
        key=f"ev{event.pk}:reopened",
        kind="release_reopened",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER)),
        subject=f"{release} is no longer approved: do not deploy",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + " A sign-off it needs is no longer there. Do not deploy it until it is approved "
            "again.",
            "link": release_link(release, "gates"),
            "link_text": "See what it waits for",
        },
    )


def release_cancelled(release: Release, event: AuditEvent, *, was: str) -> None:
    """Everyone with a role stops working on it; DevOps above all must not deploy it."""
    notify(
        key=f"ev{event.pk}:cancelled",
        kind="release_cancelled",
        to=recipients(role_people(release, *RoleKey.values)),
        subject=f"{release} is cancelled",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + " Nothing more is asked of you for it"
            + (", and it must not be deployed." if was == Stage.APPROVED else "."),
            "body": f"Reason: {event.comment}",
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )
