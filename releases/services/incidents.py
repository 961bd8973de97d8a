"""The rollback and incident playbook: open, roll back to the last known-good release, resolve."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused

from .. import audit, lifecycle, notices, permissions
from ..locks import lock_child, lock_release
from ..models import (
    Incident,
    IncidentState,
    Release,
    Severity,
)
from ..text import clean_field


@transaction.atomic
def incident_open(
    *,
    release_id: int,
    actor: AbstractBaseUser,
    title: str,
    description: str = "",
    severity: str = Severity.CRITICAL,
) -> Incident:
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "open_incident")
    # One line: the title is the subject of the incident notices on-call must get.
    title = clean_field(
        title, field="title", label="The title", required=True, max_length=200, line=True
    )
    description = clean_field(
        description, field="description", label="The description", required=False, max_length=20000
    )
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose critical, major or minor."})
    incident = Incident.objects.create(
        release=release, title=title, description=description, severity=severity, opened_by=actor
    )
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.opened",
        subject=title,
        to_state=IncidentState.OPEN,
        comment=description,
    )
    notices.incident_opened(incident, event)
    return incident


@transaction.atomic
def incident_record_rollback(
    *, incident_id: int, actor: AbstractBaseUser, comment: str = ""
) -> Incident:
    """Roll the release back to the last known-good release, as the playbook says."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(_verdicts(actor, release, incident)["roll_back"])
    target = Release.objects.last_known_good_before(release)
    if target is None:
        raise Refused(
            "There is no earlier release that reached production and was not rolled "
            "back, so there is nothing known-good to roll back to."
        )
    comment = clean_field(
        comment, field="comment", label="Comment", required=False, max_length=5000
    )
    now = timezone.now()
    event = lifecycle.move(
        release,
        "roll_back",
        actor=actor,
        now=now,
        comment=f"Rolled back to {target}. {comment}".strip(),
    )
    release.rolled_back_to = target
    release.save(update_fields=["rolled_back_to"])
    # Production is the known-good release again.
    Release.objects.filter(pk=target.pk).update(superseded_by=None, superseded_at=None)
    audit.record(
        release=target,
        actor=actor,
        verb="release.restored",
        subject="release",
        comment=f"Back in production: {release} was rolled back to it.",
    )
    incident.rolled_back_to, incident.rolled_back_at = target, now
    incident.save(update_fields=["rolled_back_to", "rolled_back_at"])
    notices.rollback_recorded(incident, event)
    return incident


@transaction.atomic
def incident_resolve(
    *, incident_id: int, actor: AbstractBaseUser, root_cause: str, action_items: str
) -> Incident:
    """Triage done: record the root cause and the action items."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(_verdicts(actor, release, incident)["resolve"])
    incident.root_cause = clean_field(
        root_cause, field="root_cause", label="The root cause", required=True, max_length=20000
    )
    incident.action_items = clean_field(
        action_items, field="action_items", label="Action items", required=True, max_length=20000
    )
    incident.state, incident.resolved_by, incident.resolved_at = (
        IncidentState.RESOLVED,
        actor,
        timezone.now(),
    )
    incident.save()
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.resolved",
        subject=incident.title,
        from_state=IncidentState.OPEN,
        to_state=IncidentState.RESOLVED,
        comment=f"Root cause: {incident.root_cause}\nAction items: {incident.action_items}",
    )
    incident.release = release
    notices.incident_resolved(incident, event)
    return incident


def _verdicts(
    actor: AbstractBaseUser, release: Release, incident: Incident
) -> dict[str, lifecycle.Verdict]:
    held = permissions.held_role_keys(actor, release)
    return lifecycle.incident_actions(incident, lifecycle.release_actions(actor, release, held))
