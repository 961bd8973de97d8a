"""Hand-offs between roles: the sender records what it hands off, the receiver acknowledges."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from signoffs import services as gate_services

from .. import audit, lifecycle, notices, permissions
from ..locks import lock_child
from ..models import (
    Handoff,
    HandoffDecision,
    HandoffState,
    Release,
)
from ..text import clean_field


@transaction.atomic
def handoff_send(
    *, handoff_id: int, actor: AbstractBaseUser, notes: str, links: str = "", decision: str = ""
) -> Handoff:
    """The sending role records what it hands off; QA → DevOps also says proceed or hold."""
    release, handoff = lock_child(
        Handoff, handoff_id, what="hand-off", related=("template__from_role", "template__to_role")
    )
    t = handoff.template
    lifecycle.require(_verdicts(actor, release, handoff)["send"])
    notes = clean_field(
        notes,
        field="notes",
        label=f"What you hand off ({t.what.lower()})",
        required=True,
        max_length=20000,
    )
    links = clean_field(links, field="links", label="Links", required=False, max_length=5000)
    if t.is_gate:
        if decision not in HandoffDecision.values:
            raise ValidationError({"decision": "Choose “proceed” or “hold”."})
    elif decision:
        raise ValidationError({"decision": "Only the pre-deployment gate records a decision."})
    from_state = handoff.state
    handoff.state, handoff.notes, handoff.links, handoff.decision = (
        HandoffState.SENT,
        notes,
        links,
        decision,
    )
    handoff.sent_by, handoff.sent_at = actor, timezone.now()
    # A new decision needs a new acknowledgement.
    handoff.acknowledged_by = handoff.acknowledged_at = None
    handoff.save()
    event = audit.record(
        release=release,
        actor=actor,
        verb="handoff.sent",
        subject=str(t),
        from_state=from_state,
        to_state=decision or HandoffState.SENT,
        comment=notes,
    )
    handoff.release = release
    notices.handoff_sent(handoff, event)
    if t.is_gate:
        # "proceed" may complete what the final gate waits for; "hold" withdraws it.
        gate_services.sync_final_gate(release, actor=actor, now=handoff.sent_at)
    return handoff


@transaction.atomic
def handoff_acknowledge(*, handoff_id: int, actor: AbstractBaseUser) -> Handoff:
    release, handoff = lock_child(
        Handoff, handoff_id, what="hand-off", related=("template__from_role", "template__to_role")
    )
    t = handoff.template
    lifecycle.require(_verdicts(actor, release, handoff)["acknowledge"])
    handoff.state = HandoffState.ACKNOWLEDGED
    handoff.acknowledged_by, handoff.acknowledged_at = actor, timezone.now()
    handoff.save(update_fields=["state", "acknowledged_by", "acknowledged_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="handoff.acknowledged",
        subject=str(t),
        from_state=HandoffState.SENT,
        to_state=HandoffState.ACKNOWLEDGED,
    )
    return handoff


def _verdicts(
    actor: AbstractBaseUser, release: Release, handoff: Handoff
) -> dict[str, lifecycle.Verdict]:
    held = permissions.held_role_keys(actor, release)
    return lifecycle.handoff_actions(handoff, stage=release.stage, held=held)
