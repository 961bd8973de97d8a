"""The webhook events a release raises, and their payloads.

Each function runs inside the transaction of the change it announces, next to the email
notice or the audit event of that change, so an event is queued exactly when the change
commits, once per change. The payload is the event's `data`:
{release: {id, name, version, stage, url}, summary, ...}; `notifications.webhooks` adds
{type, timestamp} and delivers it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from notifications.outbox import absolute
from notifications.webhooks import publish

from .models import Release

# Every event an endpoint may subscribe to (an endpoint with none listed gets them all).
EVENTS: dict[str, str] = {
    "gate.opened": "A sign-off gate opened",
    "gate.approved": "A gate was approved",
    "gate.rejected": "A gate was rejected",
    "gate.revoked": "An approval was revoked",
    "release.stage_changed": "A release moved to another stage",
    "handoff.sent": "A hand-off was sent",
    "handoff.overdue": "A hand-off is overdue",
    "incident.opened": "An incident was opened",
    "incident.resolved": "An incident was resolved",
    "escalation": "Something late was escalated to the Project Manager",
}


def release_data(release: Release) -> dict[str, Any]:
    return {
        "id": release.pk,
        "name": release.name,
        "version": release.version,
        "stage": release.stage,
        "url": absolute(reverse("release-detail", args=[release.pk])),
    }


def emit(event: str, release: Release, summary: str, **data: Any) -> int:
    """Queue `event` about `release` for every endpoint that wants it."""
    assert event in EVENTS, event  # a typo here would silently reach nobody
    return publish(event, {"release": release_data(release), "summary": summary, **data})


def gate_data(gate: Any) -> dict[str, Any]:
    return {"id": gate.pk, "role": gate.role.key, "role_name": gate.role.name, "state": gate.state}


def gate_changed(gate: Any, verb: str, *, actor_name: str, comment: str) -> None:
    """A gate decision (`verb` is its audit verb); other state writes (stale) raise nothing."""
    if verb not in ("gate.approved", "gate.rejected", "gate.revoked"):
        return
    said = {"gate.approved": "approved", "gate.rejected": "rejected", "gate.revoked": "revoked"}
    release = gate.release
    emit(
        verb,
        release,
        f"{actor_name} {said[verb]} the {gate.role.name} gate of {release}."
        + (f" {comment}" if comment and verb == "gate.rejected" else ""),
        gate=gate_data(gate),
        by=actor_name,
        comment=comment,
    )


def gate_opened(release: Release, gate: Any) -> None:
    emit(
        "gate.opened",
        release,
        f"The {gate.role.name} gate of {release} is open for sign-off.",
        gate=gate_data(gate),
    )


def stage_changed(release: Release, *, from_stage: str, to_stage: str, step: str) -> None:
    emit(
        "release.stage_changed",
        release,
        f"{release} moved from {from_stage} to {to_stage}.",
        **{"from": from_stage, "to": to_stage, "step": step},
    )


def handoff_data(handoff: Any) -> dict[str, Any]:
    t = handoff.template
    return {
        "id": handoff.pk,
        "key": t.key,
        "from_role": t.from_role.key,
        "to_role": t.to_role.key,
        "what": t.what,
        "state": handoff.state,
        "due_at": handoff.due_at.isoformat() if handoff.due_at else None,
    }


def handoff_sent(handoff: Any) -> None:
    t = handoff.template
    emit(
        "handoff.sent",
        handoff.release,
        f"The {t.from_role.name} handed off {t.what.lower()} to the {t.to_role.name}.",
        handoff=handoff_data(handoff),
    )


def handoff_overdue(handoff: Any, *, owed_by: str) -> None:
    emit(
        "handoff.overdue",
        handoff.release,
        f"The {handoff.template} hand-off of {handoff.release} is overdue: the {owed_by} has "
        "yet to act.",
        handoff=handoff_data(handoff),
        owed_by=owed_by,
    )


def incident_data(incident: Any) -> dict[str, Any]:
    return {
        "id": incident.pk,
        "title": incident.title,
        "severity": incident.severity,
        "state": incident.state,
        "failed_deploy": bool(incident.failed_deploy),
    }


def incident_changed(incident: Any, event: str) -> None:
    what = "opened" if event == "incident.opened" else "resolved"
    emit(
        event,
        incident.release,
        f"Incident {what} on {incident.release}: {incident.title}",
        incident=incident_data(incident),
    )


def escalation(release: Release, summary: str, **data: Any) -> None:
    emit("escalation", release, summary, **data)
