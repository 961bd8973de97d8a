"""Incidents: on-call and the release's people hear of an incident, how service was restored
(rollback, mitigation, fix forward) and its end; an action item's owner hears it is theirs."""

from __future__ import annotations

from django.urls import reverse

from notifications.outbox import Recipient, absolute, notify, recipients
from octoacme.names import display_name

from .. import events, wording
from ..models import ActionItem, AuditEvent, Incident, Release, RoleKey
from .common import oncall, release_link, role_people

# Who the guide's playbook involves: DevOps responds, the Project Manager coordinates, the
# Customer Success Manager handles customer communication; on-call hears of it too.
RESPONDERS = (RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER, RoleKey.CUSTOMER_SUCCESS_MANAGER)


def responders(release: Release) -> list[Recipient]:
    """On-call and the responders' holders and backups, each once."""
    return [*oncall(), *recipients(role_people(release, *RESPONDERS))]


def opened_key(incident: Incident) -> str:
    """The key prefix of an incident's opening notices: its timeline lists who they reached."""
    return f"incident{incident.pk}:opened"


def incident_opened(incident: Incident, event: AuditEvent) -> None:
    release = incident.release
    events.incident_changed(incident, "incident.opened")
    severity = incident.get_severity_display()
    opened = (
        f"{display_name(incident.opened_by)} recorded a failed production deploy of {release}, "
        f"which opened a {severity.lower()} incident."
        if incident.failed_deploy
        else f"{display_name(incident.opened_by)} opened a {severity.lower()} incident on "
        f"{release}."
    )
    notify(
        key=opened_key(incident),
        kind="incident_opened",
        to=responders(release),
        subject=f"[{severity}] Incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": f"{opened} Playbook: respond, roll back to the last known-good release "
            "if necessary (or mitigate, or fix forward with a patch release), then triage the "
            "root cause and capture action items.",
            "body": incident.description,
            "link": release_link(release, "incidents"),
            "link_text": "Open the incident",
        },
    )


def rollback_recorded(incident: Incident, event: AuditEvent) -> None:
    release = incident.release
    notify(
        key=f"ev{event.pk}:rollback",
        kind="rollback_recorded",
        to=[*oncall(), *recipients(role_people(release, *RoleKey.values))],
        subject=f"{release} rolled back to {incident.rolled_back_to}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + f" It runs {incident.rolled_back_to} again, after the incident “{incident.title}”.",
            "body": event.comment,
            "link": release_link(release, "incidents"),
            "link_text": "Open the release",
        },
    )


def incident_mitigated(incident: Incident, event: AuditEvent) -> None:
    """Service is restored without a rollback: customer communication can say so."""
    release = incident.release
    notify(
        key=f"ev{event.pk}:mitigated",
        kind="incident_mitigated",
        to=responders(release),
        subject=f"Mitigated: incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release) + " Service is restored.",
            "body": incident.mitigation,
            "link": release_link(release, "incidents"),
            "link_text": "Open the incident",
        },
    )


def incident_fixed_forward(incident: Incident, patch: Release, event: AuditEvent) -> None:
    release = incident.release
    notify(
        key=f"ev{event.pk}:fix-forward",
        kind="incident_fixed_forward",
        to=responders(release),
        subject=f"Fix forward: {patch} for the incident on {release}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + f" The patch release is {patch}. Service counts as restored once it is deployed "
            "to production.",
            "body": patch.summary,
            "link": release_link(patch),
            "link_text": "Open the patch release",
        },
    )


def incident_resolved(incident: Incident, event: AuditEvent) -> None:
    """The same people who were told of the incident hear that it is over, and why it happened."""
    release = incident.release
    events.incident_changed(incident, "incident.resolved")
    notify(
        key=f"ev{event.pk}:incident-resolved",
        kind="incident_resolved",
        to=responders(release),
        subject=f"Resolved: incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release),
            "body": event.comment,
            "link": release_link(release, "incidents"),
            "link_text": "Open the incident",
        },
    )


def _item_context(item: ActionItem, headline: str) -> dict[str, object]:
    return {
        "headline": headline,
        "items": [{"text": f"{item.text} (due {item.due_on:%Y-%m-%d})"}],
        "link": item_link(item),
        "link_text": "Open the incident",
    }


def item_link(item: ActionItem) -> str:
    return absolute(
        reverse("release-detail", args=[item.incident.release_id]) + f"#action-item-{item.pk}"
    )


def action_item_assigned(item: ActionItem, event: AuditEvent) -> None:
    incident = item.incident
    notify(
        key=f"ev{event.pk}:action-item",
        kind="action_item_assigned",
        to=recipients([item.owner]),
        subject=f"Action item for you: {item.text}",
        release_id=incident.release_id,
        context=_item_context(
            item,
            f"{display_name(item.created_by)} gave you an action item from the incident "
            f"“{incident.title}” on {incident.release}. Mark it done (or defer it with a "
            "reason) on the release page; the incident's review closes only when every item is.",
        ),
    )


def action_item_due(item: ActionItem) -> int:
    """Once per item (the sweep claims it first): it is due today or was due before."""
    incident = item.incident
    return notify(
        key=f"action-item{item.pk}:due",
        kind="action_item_due",
        to=recipients([item.owner]),
        subject=f"Due: action item {item.text}",
        release_id=incident.release_id,
        context=_item_context(
            item,
            f"Your action item from the incident “{incident.title}” on {incident.release} is "
            "due. Mark it done, or defer it with a reason.",
        ),
    )


def action_item_overdue(item: ActionItem) -> int:
    """Once per item, to the Project Manager (holder and backup) of the incident's release."""
    incident = item.incident
    release = incident.release
    return notify(
        key=f"action-item{item.pk}:overdue",
        kind="action_item_overdue",
        to=recipients(role_people(release, RoleKey.PROJECT_MANAGER)),
        subject=f"Overdue: action item {item.text} on {release}",
        release_id=release.pk,
        context=_item_context(
            item,
            f"As Project Manager of {release}: the action item below, owned by "
            f"{display_name(item.owner)}, from the incident “{incident.title}”, is overdue.",
        ),
    )
