"""The rollback and incident playbook: a failed deploy or a reported incident, service restored
(rollback to the last known-good release, a mitigation, or a fix-forward patch), resolution.
Action items and the post-incident review are in `action_items`."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused

from .. import audit, lifecycle, notices, permissions
from ..locks import lock_child, lock_release
from ..models import (
    ActionItemState,
    Incident,
    IncidentState,
    Release,
    ReleaseType,
    Severity,
    Stage,
)
from ..text import clean_field
from .releases import create_release

FAILED_TITLE = "Production deploy failed: "


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
    return _open(release, actor, title=title, description=description, severity=severity)


@transaction.atomic
def release_record_failed_deploy(
    *,
    release_id: int,
    actor: AbstractBaseUser,
    what_failed: str,
    severity: str = Severity.CRITICAL,
) -> Incident:
    """The DevOps Engineer records a production deploy that failed: an attempt on an approved
    release that did not go through (it stays approved), or a deployed release that broke.
    Either way an incident opens and its responders are told."""
    release = lock_release(release_id)
    lifecycle.require_release_action(actor, release, "record_failed_deploy")
    what_failed = clean_field(
        what_failed, field="what_failed", label="What failed", required=True, max_length=20000
    )
    _check_severity(severity)
    if release.stage == Stage.APPROVED:
        release.deploy_failed_at = timezone.now()
        release.save(update_fields=["deploy_failed_at", "updated_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="deploy.failed",
        subject="release",
        comment=what_failed,
    )
    first_line = what_failed.splitlines()[0].strip()
    width = Incident._meta.get_field("title").max_length - len(FAILED_TITLE)
    if len(first_line) > width:
        first_line = first_line[: width - 1] + "…"
    return _open(
        release,
        actor,
        title=FAILED_TITLE + first_line,
        description=what_failed,
        severity=severity,
        failed_deploy=True,
    )


def _check_severity(severity: str) -> None:
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose critical, major or minor."})


def _open(
    release: Release,
    actor: AbstractBaseUser,
    *,
    title: str,
    description: str,
    severity: str,
    failed_deploy: bool = False,
) -> Incident:
    _check_severity(severity)
    incident = Incident.objects.create(
        release=release,
        title=title,
        description=description,
        severity=severity,
        opened_by=actor,
        failed_deploy=failed_deploy,
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
    lifecycle.require(incident_verdicts(actor, release, incident)["roll_back"])
    target = Release.objects.last_known_good_before(release)
    if target is None:
        raise Refused(
            "There is no earlier release that reached production and was not rolled "
            "back, so there is nothing known-good to roll back to. Record a mitigation, or "
            "fix forward with a patch release."
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
def incident_mitigate(*, incident_id: int, actor: AbstractBaseUser, mitigation: str) -> Incident:
    """Service restored without a rollback: the first release has nothing to roll back to."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(incident_verdicts(actor, release, incident)["mitigate"])
    incident.mitigation = clean_field(
        mitigation, field="mitigation", label="The mitigation", required=True, max_length=20000
    )
    incident.mitigated_by, incident.mitigated_at = actor, timezone.now()
    incident.save(update_fields=["mitigation", "mitigated_by", "mitigated_at"])
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.mitigated",
        subject=incident.title,
        comment=incident.mitigation,
    )
    incident.release = release
    notices.incident_mitigated(incident, event)
    return incident


@transaction.atomic
def incident_fix_forward(
    *, incident_id: int, actor: AbstractBaseUser, name: str, version: str, summary: str = ""
) -> Release:
    """Create the patch release that fixes the incident forward, linked to it. The incident's
    `fix_forward` verdict is the permission: a DevOps Engineer may create this patch although
    only managers create releases otherwise. Returns the patch."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(incident_verdicts(actor, release, incident)["fix_forward"])
    summary = clean_field(
        summary, field="summary", label="Summary", required=False, max_length=5000
    )
    patch = create_release(
        actor=actor,
        fields={
            "name": name,
            "version": version,
            "release_type": ReleaseType.PATCH,
            "summary": summary or f"Fix forward for the incident “{incident.title}” on {release}.",
        },
        fixes_incident=incident,
    )
    incident.fixed_forward_at = timezone.now()
    incident.save(update_fields=["fixed_forward_at"])
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.fixed_forward",
        subject=incident.title,
        comment=f"Patch release {patch} created to fix forward.",
    )
    audit.record(
        release=patch,
        actor=actor,
        verb="release.fixes_incident",
        subject=incident.title,
        comment=f"Created to fix forward the incident “{incident.title}” on {release}.",
    )
    incident.release = release
    notices.incident_fixed_forward(incident, patch, event)
    return patch


@transaction.atomic
def incident_resolve(*, incident_id: int, actor: AbstractBaseUser, root_cause: str) -> Incident:
    """Service is restored and the root cause known. Action items may still be open; the
    review closes once they are done or deferred."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(incident_verdicts(actor, release, incident)["resolve"])
    incident.root_cause = clean_field(
        root_cause, field="root_cause", label="The root cause", required=True, max_length=20000
    )
    incident.state, incident.resolved_by, incident.resolved_at = (
        IncidentState.RESOLVED,
        actor,
        timezone.now(),
    )
    incident.save(update_fields=["root_cause", "state", "resolved_by", "resolved_at"])
    items = [
        f"- {i.text} ({i.owner}, due {i.due_on:%Y-%m-%d}, {i.get_state_display().lower()})"
        for i in incident.items.select_related("owner")
    ]
    event = audit.record(
        release=release,
        actor=actor,
        verb="incident.resolved",
        subject=incident.title,
        from_state=IncidentState.OPEN,
        to_state=IncidentState.RESOLVED,
        comment=f"Root cause: {incident.root_cause}"
        + ("\nAction items:\n" + "\n".join(items) if items else ""),
    )
    incident.release = release
    notices.incident_resolved(incident, event)
    return incident


def incident_verdicts(
    actor: AbstractBaseUser, release: Release, incident: Incident
) -> dict[str, lifecycle.Verdict]:
    """The playbook's verdicts for `actor` on `incident`, with what they depend on read fresh
    (under the caller's lock): whether its fix-forward patch is in production (it reached
    production and was not rolled back), how many action items are still open."""
    incident.fix_deployed = incident.fix_releases.known_good().exists()
    open_items = incident.items.filter(state=ActionItemState.OPEN).count()
    held = permissions.held_role_keys(actor, release)
    return lifecycle.incident_actions(
        incident,
        lifecycle.release_actions(actor, release, held),
        open_items=open_items,
        has_known_good=has_known_good(release),
    )


def has_known_good(release: Release) -> bool:
    """Whether there is a release to roll `release` back to (asked only where a rollback is
    possible at all: a deployed release)."""
    return (
        release.stage != Stage.DEPLOYED
        or Release.objects.last_known_good_before(release) is not None
    )
