"""Incidents: on-call and the release's people hear of an incident and of a rollback."""

from __future__ import annotations

from notifications.outbox import notify, recipients

from ..models import AuditEvent, Incident, RoleKey
from .common import oncall, release_link, role_people


def incident_opened(incident: Incident, event: AuditEvent) -> None:
    release = incident.release
    notify(
        key=f"ev{event.pk}:incident",
        kind="incident_opened",
        to=[
            *oncall(),
            *recipients(role_people(release, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER)),
        ],
        subject=f"[{incident.get_severity_display()}] Incident on {release}: {incident.title}",
        release_id=release.pk,
        context={
            "headline": f"{incident.opened_by} opened a {incident.get_severity_display().lower()} "
            f"incident on {release}. Playbook: respond, roll back to the last known-good "
            "release if necessary, then triage the root cause and capture action items.",
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
