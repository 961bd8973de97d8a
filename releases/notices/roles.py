"""A role changed hands on a release: the new people are asked or told, the old told."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from notifications.outbox import notify, recipients

from .. import lifecycle
from ..models import AuditEvent, Release
from .common import _gate_context, release_link


def role_changed(
    release: Release,
    gate: object,
    *,
    added: list[AbstractBaseUser],
    removed: list[AbstractBaseUser],
    event: AuditEvent,
) -> None:
    """A role changed hands: the new people are asked (if the gate waits) or told; the old told."""
    role = gate.role
    waiting = (
        release.stage in lifecycle.SIGNING_STAGES
        and gate.opened_at
        and gate.state != lifecycle.GateState.APPROVED
    )
    if waiting:
        notify(
            key=f"ev{event.pk}:assigned-request",
            kind="gate_opened",
            to=recipients(added),
            subject=f"Your sign-off is requested: {role.name} for {release}",
            release_id=release.pk,
            context={
                "headline": f"You now hold the {role.name} role on {release}, which is on "
                "staging and waits for your sign-off.",
                **_gate_context(gate),
            },
        )
    else:
        notify(
            key=f"ev{event.pk}:assigned",
            kind="role_assigned",
            to=recipients(added),
            subject=f"You now hold the {role.name} role on {release}",
            release_id=release.pk,
            context={
                "headline": f"You now hold the {role.name} role on {release} "
                f"({release.get_stage_display().lower()}).",
                "items": [
                    {"text": f"Pre-release: {role.pre_release_duty}"},
                    {"text": f"Release day: {role.release_day_duty}"},
                    {"text": f"Post-release: {role.post_release_duty}"},
                ],
                "link": release_link(release),
                "link_text": "Open the release",
            },
        )
    notify(
        key=f"ev{event.pk}:unassigned",
        kind="role_unassigned",
        to=recipients(removed),
        subject=f"You no longer hold the {role.name} role on {release}",
        release_id=release.pk,
        context={
            "headline": f"The {role.name} role on {release} was handed to someone else; "
            "nothing more is asked of you for it.",
            "body": event.comment,
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )
