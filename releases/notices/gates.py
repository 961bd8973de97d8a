"""Sign-off gates: opened, rejected or revoked, an approval turned stale, QA asked again."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser

from notifications.outbox import notify, recipients

from .. import events, wording
from ..models import AuditEvent, Release, RoleKey
from .common import _gate_context, release_link, role_people


def gates_opened(release: Release, gates: Iterable[object], event: AuditEvent) -> None:
    for gate in gates:
        events.gate_opened(release, gate)
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


def final_gate_opened(
    release: Release, gate: object, event: AuditEvent, *, after: Iterable[str] = ()
) -> None:
    """`after`: the gates an expedited policy lets sign after the deploy (none by default)."""
    after = list(after)
    events.gate_opened(release, gate)
    subject = f"All six gates approved: confirm sign-offs for {release}"
    headline = (
        f"Every role gate of {release} is approved. Confirm all sign-offs received to approve "
        "the release."
    )
    if after:
        subject = f"Gates before the deploy approved: confirm sign-offs for {release}"
        headline = (
            f"The role gates {release} needs before its deploy are approved. Confirm to approve "
            "the release; under its expedited policy " + ", ".join(after) + " sign after the "
            "deploy."
        )
    notify(
        key=f"ev{event.pk}:confirm:{gate.pk}",
        kind="confirm_signoffs",
        to=recipients(role_people(release, RoleKey.PROJECT_MANAGER)),
        subject=subject,
        release_id=release.pk,
        context={"headline": headline, **_gate_context(gate)},
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
    # The audit trail's sentence for the same event (releases.wording).
    headline = wording.headline(event, release)
    if rejected:
        headline += " The release is blocked until it is fixed and approved."
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
