"""Who hears about what, by email. Each function runs inside the service's transaction and
keys its notices by the audit event that caused them (one event, one notice per person).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from notifications.outbox import Recipient, absolute, notify, recipients
from octoacme.names import display_name

from . import lifecycle
from .models import AuditEvent, Incident, Release, RoleAssignment, RoleKey, Stage
from .notes import notes_markdown


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
            release_id=release.pk,
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
        release_id=release.pk,
        context={
            "headline": f"Every role gate of {release} is approved. Confirm all sign-offs "
            "received to approve the release.",
            **_gate_context(gate),
        },
    )


def gate_unapproved(gate: object, event: AuditEvent, *, reopened: bool) -> None:
    """A rejection or a revoked approval: one email to each person it affects.

    The Project Manager follows every gate (a rejection also concerns the Product Manager);
    when it sent an approved release back to staging, the DevOps Engineer, who was told it was
    ready to deploy, must hear that it no longer is.
    """
    release = gate.release
    rejected = event.verb == "gate.rejected"
    roles = [RoleKey.PROJECT_MANAGER]
    if rejected:
        roles.append(RoleKey.PRODUCT_MANAGER)
    if reopened:
        roles.append(RoleKey.DEVOPS_ENGINEER)
    who = display_name(event.actor)
    if rejected:
        headline = (
            f"{who} rejected the {gate.role.name} gate of {release}. "
            "The release is blocked until it is fixed and approved."
        )
    else:
        headline = f"{who} revoked the {gate.role.name} approval of {release}."
    if reopened:
        headline += (
            " The release was approved and is back in staging: do not deploy it until every "
            "sign-off is in again."
        )
    notify(
        key=f"ev{event.pk}:{'rejected' if rejected else 'revoked'}",
        kind="gate_rejected" if rejected else "gate_revoked",
        to=recipients(role_people(release, *roles)),
        subject=f"{gate.role.name} {'rejected' if rejected else 'revoked approval of'} {release}"
        + (": no longer approved" if reopened else ""),
        release_id=release.pk,
        context={
            "headline": headline,
            "body": f"Reason: {gate.comment}" if gate.comment else "",
            "link": release_link(release, "gates"),
            "link_text": "Open the release",
        },
    )


def release_reopened(release: Release, event: AuditEvent) -> None:
    """An approved release went back to staging (scope change, reassignment, QA hold)."""
    notify(
        key=f"ev{event.pk}:reopened",
        kind="release_reopened",
        to=recipients(role_people(release, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER)),
        subject=f"{release} is no longer approved: do not deploy",
        release_id=release.pk,
        context={
            "headline": f"{release} was approved but is back in staging: a sign-off it needs "
            "is no longer there. Do not deploy it until it is approved again.",
            "link": release_link(release, "gates"),
            "link_text": "See what it waits for",
        },
    )


def qa_decision_reset(handoff: object, event: AuditEvent) -> None:
    release = handoff.release
    notify(
        key=f"ev{event.pk}:qa-reset",
        kind="handoff_reset",
        to=recipients(role_people(release, RoleKey.QA_LEAD)),
        subject=f"Hand off to DevOps again: the scope of {release} changed",
        release_id=release.pk,
        context={
            "headline": f"Your decision on {release} covered a scope that has changed. Test "
            "what is on staging now and send the QA Lead → DevOps Engineer hand-off again.",
            "body": event.comment,
            "link": release_link(release, "handoffs"),
            "link_text": "Send the hand-off",
        },
    )


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


def release_cancelled(release: Release, event: AuditEvent, *, was: str) -> None:
    """Everyone with a role stops working on it; DevOps above all must not deploy it."""
    notify(
        key=f"ev{event.pk}:cancelled",
        kind="release_cancelled",
        to=recipients(role_people(release, *RoleKey.values)),
        subject=f"{release} is cancelled",
        release_id=release.pk,
        context={
            "headline": f"{display_name(event.actor)} cancelled {release} while it was "
            f"{Stage(was).label.lower()}. Nothing more is asked of you for it"
            + (", and it must not be deployed." if was == Stage.APPROVED else "."),
            "body": f"Reason: {event.comment}",
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )


def downgrade_deployed(
    release: Release, higher: Release, replaced: Release | None, event: AuditEvent
) -> None:
    """A deliberate downgrade is announced to everyone with a role on either release."""
    people = role_people(release, *RoleKey.values)
    if replaced is not None:
        people += role_people(replaced, *RoleKey.values)
    notify(
        key=f"ev{event.pk}:downgrade",
        kind="downgrade_deployed",
        to=recipients(people),
        subject=f"Downgrade: {release} deployed below {higher.version}",
        release_id=release.pk,
        context={
            "headline": f"{display_name(event.actor)} deployed {release} to production as a "
            f"deliberate downgrade from {higher.version} ({higher.name}).",
            "body": event.comment,
            "link": release_link(release),
            "link_text": "Open the release",
        },
    )


def approval_stale(gate: object, signer: AbstractBaseUser | None, event: AuditEvent) -> None:
    if gate.role.key == RoleKey.PROJECT_MANAGER:
        # The final gate is closed again until the six role gates are approved: there is
        # nothing to sign yet, and a second email will ask when there is.
        notify(
            key=f"ev{event.pk}:stale",
            kind="approval_stale",
            to=recipients([signer]),
            subject=f"Your confirmation of {gate.release} no longer holds",
            release_id=gate.release_id,
            context={
                "headline": f"Your confirmation that all sign-offs of {gate.release} were "
                "received no longer holds. You will be asked to confirm again once the role "
                "gates are approved again.",
                "body": event.comment,
                "link": release_link(gate.release, "gates"),
                "link_text": "See the gates",
            },
        )
        return
    notify(
        key=f"ev{event.pk}:stale",
        kind="approval_stale",
        to=recipients([signer]),
        subject=f"Sign again: the scope of {gate.release} changed",
        release_id=gate.release_id,
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
        release_id=release.pk,
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
        release_id=release.pk,
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
        release_id=release.pk,
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
