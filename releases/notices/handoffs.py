"""Hand-offs: the receiving role hears what was handed off, with the notes and links."""

from __future__ import annotations

from notifications.outbox import notify, recipients
from octoacme.names import display_name

from ..models import AuditEvent, Handoff
from .common import release_link, role_people


def handoff_sent(handoff: Handoff, event: AuditEvent) -> None:
    """Sent to the receiver's holder and backup, with the content, so nothing waits unread."""
    release, t = handoff.release, handoff.template
    decision = f" ({handoff.get_decision_display()})" if handoff.decision else ""
    body = handoff.notes + (f"\n\nLinks:\n{handoff.links}" if handoff.links else "")
    notify(
        key=f"ev{event.pk}:handoff-sent",
        kind="handoff_sent",
        to=recipients(role_people(release, t.to_role.key)),
        subject=f"Hand-off from the {t.from_role.name}{decision}: {t.what} for {release}",
        release_id=release.pk,
        context={
            "headline": f"{display_name(handoff.sent_by)}, {t.from_role.name}, handed off "
            f"{t.what.lower()} for {release}{decision}. Expected of you as {t.to_role.name}: "
            f"{t.expected_action}.",
            "body": body,
            "link": release_link(release, "handoffs"),
            "link_text": "Acknowledge the hand-off",
        },
    )
