"""Who hears about what, by email. Each function runs inside the service's transaction and
keys its notices by the audit event that caused them (one event, one notice per person).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from .models import AuditEvent, Incident, Release, RoleAssignment, RoleKey
from .notes import notes_markdown
from .outbox import Recipient, absolute, notify, recipients


def role_people(release: Release, *role_keys: str) -> list[AbstractBaseUser]:
    """Holders and backups of these roles on the release."""
    people: list[AbstractBaseUser] = []
    for a in RoleAssignment.objects.filter(release=release, role__key__in=role_keys).select_related(
        "holder", "backup"
    ):
        people += [u for u in (a.holder, a.backup) if u is not None]
    return people


def oncall() -> list[Recipient]:
    return [Recipient(email) for email in settings.ONCALL_EMAILS if email]


def release_link(release: Release, anchor: str = "") -> str:
    return absolute(reverse("release-detail", args=[release.pk]) + (f"#{anchor}" if anchor else ""))


def gate_link(gate: object) -> str:
    return absolute(reverse("gate-detail", args=[gate.pk]))


def _gate_context(gate: object) -> dict[str, object]:
    role = gate.role
    return {
        "items": [
            {"text": f"You confirm: {role.signoff_statement}"},
            {"text": f"Pre-release duty: {role.pre_release_duty}"},
        ],
        "link": gate_link(gate),
        "link_text": "Review and sign",
    }


def gates_opened(release: Release, gates: Iterable[object], event: AuditEvent) -> None:
    for gate in gates:
        notify(
            key=f"ev{event.pk}:gate-opened:{gate.pk}",
            kind="gate_opened",
            to=recipients(role_people(release, gate.role.key)),
            subject=f"Your sign-off is requested: {gate.role.name} for {release}",
            release=release,
            context={
                "headline": f"{release} is on staging and waits for your "
                f"{gate.role.name} sign-off.",
                **_gate_context(gate),
            },
        )


def final_gate_opened(release: Release, gate: object, event: AuditEvent) -> None:
    notify(
        key=f"ev{event.pk}:confirm:{gate.pk}",
        kind="confirm_signoffs",
        to=recipients(role_people(release, RoleKey.PROJECT_MANAGER)),
        subject=f"All six gates approved: confirm sign-offs for {release}",
        release=release,
        context={
            "headline": f"Every role gate of {release} is approved. Confirm all sign-offs "
            "received to approve the release.",
            **_gate_context(gate),
        },
    )


def gate_rejected(gate: object, event: AuditEvent) -> None:
    release = gate.release
    notify(
        key=f"ev{event.pk}:rejected",
        kind="gate_rejected",
        to=recipients(role_people(release, RoleKey.PROJECT_MANAGER, RoleKey.PRODUCT_MANAGER)),
        subject=f"{gate.role.name} rejected {release}",
        release=release,
        context={
            "headline": f"{gate.decided_by} rejected the {gate.role.name} gate of {release}. "
            "The release is blocked until it is fixed and approved.",
            "body": f"Reason: {gate.comment}",
            "link": release_link(release, "gates"),
            "link_text": "Open the release",
        },
    )


def approval_stale(gate: object, signer: AbstractBaseUser | None, event: AuditEvent) -> None:
    notify(
        key=f"ev{event.pk}:stale",
        kind="approval_stale",
        to=recipients([signer]),
        subject=f"Sign again: the scope of {gate.release} changed",
        release=gate.release,
        context={
            "headline": f"Your {gate.role.name} approval of {gate.release} no longer covers "
            "what the release contains; please review it and sign again.",
            "body": event.comment,
            **_gate_context(gate),
        },
    )


def release_approved(release: Release, event: AuditEvent) -> None:
    notify(
        key=f"ev{event.pk}:approved",
        kind="release_approved",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER)),
        subject=f"{release} is approved for production",
        release=release,
        context={
            "headline": f"All seven sign-offs of {release} are in. It is ready to deploy.",
            "link": release_link(release),
            "link_text": "Record the production deploy",
        },
    )


def release_deployed(release: Release, event: AuditEvent) -> None:
    link = release_link(release, "handoffs")
    notify(
        key=f"ev{event.pk}:handoff-devops",
        kind="handoff_due",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER)),
        subject=f"Hand off deployment status of {release} to the Project Manager",
        release=release,
        context={
            "headline": f"{release} is in production. Hand off the deployment status and system "
            "health metrics to the Project Manager for stakeholder communication.",
            "link": link,
            "link_text": "Send the hand-off",
        },
    )
    notify(
        key=f"ev{event.pk}:handoff-pm",
        kind="handoff_due",
        to=recipients(role_people(release, RoleKey.PROJECT_MANAGER)),
        subject=f"Hand off the release notes of {release} to Customer Success",
        release=release,
        context={
            "headline": f"{release} is in production. Hand off the release notes and known "
            "issues to the Customer Success Manager now, for customer communication and "
            "support enablement.",
            "body": notes_markdown(release),
            "link": link,
            "link_text": "Send the hand-off",
        },
    )


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
        release=release,
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
        release=release,
        context={
            "headline": f"{release} was rolled back to {incident.rolled_back_to} after the "
            f"incident “{incident.title}”.",
            "body": event.comment,
            "link": release_link(release, "incidents"),
            "link_text": "Open the release",
        },
    )
