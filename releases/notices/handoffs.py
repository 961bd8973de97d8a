"""Hand-offs: the receiving role hears what was handed off, with the notes and links."""

from __future__ import annotations

from notifications.outbox import notify, recipients

from .. import events, wording
from ..models import AuditEvent, Handoff, HandoffDecision, RoleKey
from .common import release_link, role_people


def handoff_sent(handoff: Handoff, event: AuditEvent) -> None:
    """Sent to the receiver's holder and backup, with the content, so nothing waits unread."""
    release, t = handoff.release, handoff.template
    events.handoff_sent(handoff)
    body = handoff.notes + (f"\n\nLinks:\n{handoff.links}" if handoff.links else "")
    notify(
        key=f"ev{event.pk}:handoff-sent",
        kind="handoff_sent",
        to=recipients(role_people(release, t.to_role.key)),
        subject=f"Hand-off from the {t.from_role.name}: {t.what} for {release}",
        release_id=release.pk,
        context={
            "headline": wording.headline(event, release)
            + f" What it hands off: {t.what.lower()}. Expected of you as {t.to_role.name}: "
            f"{t.expected_action}.",
            "body": body,
            "link": release_link(release, "handoffs"),
            "link_text": "Record proceed or hold" if t.is_gate else "Acknowledge the hand-off",
        },
    )


def handoff_decided(handoff: Handoff, event: AuditEvent, *, reopened: bool) -> None:
    """The DevOps Engineer's "proceed" or "hold" on the QA Lead's hand-off: the QA Lead, who
    sent it, and the Project Manager, who confirms only after "proceed", hear it once each."""
    release, t = handoff.release, handoff.template
    # The audit trail's sentence for the same event (releases.wording).
    headline = wording.headline(event, release)
    if handoff.decision == HandoffDecision.HOLD:
        subject = f"Hold on {release}: do not deploy"
        headline += " It blocks the Project Manager's confirmation and the production deploy "
        headline += f"until the {t.to_role.name} lifts it."
        if reopened:
            headline += " The release was approved and is back in staging."
        people = (t.from_role.key, RoleKey.PROJECT_MANAGER, RoleKey.PRODUCT_MANAGER)
    else:
        subject = f"{t.to_role.name} says proceed: {release}"
        people = (t.from_role.key, RoleKey.PROJECT_MANAGER)
    notify(
        key=f"ev{event.pk}:handoff-decided",
        kind="handoff_decided",
        to=recipients(role_people(release, *people)),
        subject=subject,
        release_id=release.pk,
        context={
            "headline": headline,
            "body": handoff.response,
            "link": release_link(release, "handoffs"),
            "link_text": "Open the release",
        },
    )
