"""Incidents: on-call and the release's people hear of an incident, its rollback and its end."""

from __future__ import annotations

from notifications.outbox import notify, recipients
from octoacme.names import display_name

from ..models import AuditEvent, Incident, RoleKey
from .common import oncall, release_link, role_people

# Who the guide's playbook involves: DevOps responds, the Project Manager coordinates, the
# Customer Success Manager handles customer communication; on-call hears of it too.
RESPONDERS = (RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER, RoleKey.CUSTOMER_SUCCESS_MANAGER)


def incident_opened(incident: Incident, event: AuditEvent) -> None:
    release = incident.release
    notify(
        key=f"ev{event.pk}:incident",
        kind="incident_opened",
        to=[*oncall(), *recipients(role_people(release, *RESPONDERS))],
        subject=f"[{incident.get_severity_display()}] Incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": f"{display_name(incident.opened_by)} opened a "
            f"{incident.get_severity_display().lower()} incident on {release}. Playbook: "
            "respond, roll back to the last known-good release if necessary, then triage the "
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
            "headline": f"{release} was rolled back to {incident.rolled_back_to} after the "
            f"incident “{incident.title}”.",
            "body": event.comment,
            "link": release_link(release, "incidents"),
            "link_text": "Open the release",
        },
    )


def incident_resolved(incident: Incident, event: AuditEvent) -> None:
    """The same people who were told of the incident hear that it is over, and why it happened."""
    release = incident.release
    notify(
        key=f"ev{event.pk}:incident-resolved",
        kind="incident_resolved",
        to=[*oncall(), *recipients(role_people(release, *RESPONDERS))],
        subject=f"Resolved: incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": f"{display_name(incident.resolved_by)} resolved the incident "
            f"“{incident.title}” on {release}.",
            "body": event.comment,
            "link": release_link(release, "incidents"),
            "link_text": "Open the incident",
        },
    )
