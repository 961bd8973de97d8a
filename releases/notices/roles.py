"""A role changed hands on a release: the new people are asked or told, the old told."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from notifications.outbox import absolute, notify, recipients

from .. import lifecycle
from ..models import AuditEvent, Duty, DutyPhase, DutyState, Release, Role
from .common import _gate_context, release_link


def _duty_items(release: Release, role: Role) -> list[dict[str, str]]:
    """The role's duties on this release as the release page lists them (text as copied when
    the release was made, and whether done), each linked to the release's duties."""
    link = release_link(release, "duties")
    duties = sorted(
        Duty.objects.filter(release=release, role=role), key=lambda d: _PHASES.index(d.phase)
    )
    if not duties:  # A release made before duties were copied: the role's own words.
        return [
            {"text": f"Pre-release: {role.pre_release_duty}", "url": link},
            {"text": f"Release day: {role.release_day_duty}", "url": link},
            {"text": f"Post-release: {role.post_release_duty}", "url": link},
        ]
    return [
        {
            "text": f"{d.get_phase_display()}: {d.text}"
            + (" (done)" if d.state == DutyState.DONE else ""),
            "url": link,
        }
        for d in duties
    ]


_PHASES = list(DutyPhase.values)


def role_changed(
    release: Release,
    gate: object,
    *,
    added: list[AbstractBaseUser],
    removed: list[AbstractBaseUser],
    event: AuditEvent,
    backups: Iterable[int] = (),
) -> None:
    """A role changed hands: the new people are asked (if the gate waits) or told, with their
    duties on the release and links; the old told. `backups`: the ids in `added` who back the
    role up rather than hold it."""
    role = gate.role
    waiting = (
        release.stage in lifecycle.SIGNING_STAGES
        and gate.opened_at
        and gate.state != lifecycle.GateState.APPROVED
    )
    duties = _duty_items(release, role)
    backup_ids = set(backups)
    for as_backup, people in (
        (False, [u for u in added if u.pk not in backup_ids]),
        (True, [u for u in added if u.pk in backup_ids]),
    ):
        held = f"the backup for the {role.name} role" if as_backup else f"the {role.name}"
        suffix = "-backup" if as_backup else ""
        if waiting:
            gate_context = _gate_context(gate)
            notify(
                key=f"ev{event.pk}:assigned-request{suffix}",
                kind="gate_opened",
                to=recipients(people),
                subject=f"Your sign-off is requested: {role.name} for {release}",
                release_id=release.pk,
                context={
                    **gate_context,
                    "headline": f"You are now {held} on {release}, which is on staging and "
                    "waits for your sign-off.",
                    "items": [gate_context["items"][0], *duties],
                },
            )
        else:
            notify(
                key=f"ev{event.pk}:assigned{suffix}",
                kind="role_assigned",
                to=recipients(people),
                subject=f"You are now {held} on {release}",
                release_id=release.pk,
                context={
                    "headline": f"You are now {held} on {release} "
                    f"({release.get_stage_display().lower()}). Your duties for it:",
                    "items": duties,
                    "body": f"My work lists what is yours to do: {absolute(reverse('my-work'))}",
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
