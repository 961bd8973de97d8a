"""Gates an expedited policy lets sign after the deploy: asked for at the deploy, and a "no"
given after it."""

from __future__ import annotations

from collections.abc import Iterable

from notifications.outbox import notify, recipients

from .. import wording
from ..models import AuditEvent, Release, RoleKey
from ..timefmt import mail_time
from .common import _gate_context, release_link, role_people


def retroactive_due(release: Release, gates: Iterable[object], event: AuditEvent) -> None:
    """At the deploy: each retroactive gate's people are asked to sign, and told by when."""
    for gate in gates:
        notify(
            key=f"ev{event.pk}:retroactive-due:{gate.pk}",
            kind="gate_opened",
            to=recipients(role_people(release, gate.role.key)),
            subject=f"Sign after the deploy by {mail_time(gate.due_at)}: "
            f"{gate.role.name} for {release}",
            release_id=release.pk,
            context={
                "headline": f"{release} reached production under its expedited policy. Your "
                f"{gate.role.name} sign-off is due by {mail_time(gate.due_at)}; the release "
                "cannot be closed without it.",
                **_gate_context(gate),
            },
        )


def retroactive_rejected(gate: object, event: AuditEvent) -> None:
    """A retroactive gate rejected what is already in production: the people who decide what
    to do about production hear it (the Project Manager, the Product Manager, the DevOps
    Engineer), with the two ways out the guide knows."""
    release = gate.release
    notify(
        key=f"ev{event.pk}:retroactive-rejected",
        kind="gate_rejected",
        to=recipients(
            role_people(
                release,
                RoleKey.PROJECT_MANAGER,
                RoleKey.PRODUCT_MANAGER,
                RoleKey.DEVOPS_ENGINEER,
            )
        ),
        subject=f"{gate.role.name} rejected {release} after its deploy",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + " The release is already in production (the gate signs after the deploy under "
            "its expedited policy). The release cannot be closed until the gate is approved. If "
            "production is affected, open an incident from the release page and roll back or "
            "fix forward.",
            "body": f"Reason: {gate.comment}" if gate.comment else "",
            "link": release_link(release, "gates"),
            "link_text": "Open the release",
        },
    )
