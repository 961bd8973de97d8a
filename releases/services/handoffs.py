"""Hand-offs between roles: the sender records what it hands off; the receiver acknowledges it
by recording the guide's expected action. For the QA Lead -> DevOps Engineer hand-off that is
the DevOps Engineer's "proceed" or "hold", which they may change until the production deploy.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
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
    *, handoff_id: int, actor: AbstractBaseUser, notes: str, links: str = ""
) -> Handoff:
    """The sending role records what it hands off; the receiver is told at once."""
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
    from_state = handoff.state
    withdrawn = handoff.decision == HandoffDecision.PROCEED
    handoff.state, handoff.notes, handoff.links = HandoffState.SENT, notes, links
    handoff.sent_by, handoff.sent_at = actor, timezone.now()
    # New results need a new answer. A "proceed" was about the old ones and is withdrawn; a
    # "hold" stays until the DevOps Engineer lifts it.
    if withdrawn:
        handoff.decision = ""
    handoff.acknowledged_by = handoff.acknowledged_at = None
    handoff.response = ""
    handoff.save()
    event = audit.record(
        release=release,
        actor=actor,
        on_behalf_of=permissions.acting_for(actor, release, [t.from_role.key]),
        verb="handoff.sent",
        subject=str(t),
        from_state=from_state,
        to_state=HandoffState.SENT,
        comment=notes,
    )
    handoff.release = release
    notices.handoff_sent(handoff, event)
    if t.is_gate and withdrawn:
        gate_services.sync_final_gate(
            release,
            actor=actor,
            now=handoff.sent_at,
            reason="The QA Lead sent new test results; the DevOps Engineer decides again.",
        )
    return handoff


@transaction.atomic
def handoff_acknowledge(
    *, handoff_id: int, actor: AbstractBaseUser, decision: str = "", response: str = ""
) -> Handoff:
    """The receiver records the expected action. On the QA Lead's hand-off, "hold" (with a
    note) blocks the Project Manager's confirmation and the deploy, and sends an approved
    release back to staging; "proceed" lifts it."""
    release, handoff = lock_child(
        Handoff, handoff_id, what="hand-off", related=("template__from_role", "template__to_role")
    )
    t = handoff.template
    lifecycle.require(_verdicts(actor, release, handoff)["acknowledge"])
    if t.is_gate and decision not in HandoffDecision.values:
        raise ValidationError({"decision": "Choose “proceed” or “hold”."})
    if not t.is_gate and decision:
        raise ValidationError({"decision": "Only the pre-deployment gate records a decision."})
    response = clean_field(
        response,
        field="response",
        label="Why hold" if decision == HandoffDecision.HOLD else "Note",
        # A hold stops a release; whoever lifts it needs to know why it is on.
        required=decision == HandoffDecision.HOLD,
        max_length=5000,
    )
    was = handoff.decision
    if t.is_gate and handoff.state == HandoffState.ACKNOWLEDGED and was == decision:
        raise ValidationError(
            {"decision": f"The hand-off already says “{handoff.get_decision_display()}”."}
        )
    from_state = was or handoff.state
    now = timezone.now()
    handoff.state, handoff.decision, handoff.response = (
        HandoffState.ACKNOWLEDGED,
        decision,
        response,
    )
    handoff.acknowledged_by, handoff.acknowledged_at = actor, now
    handoff.save(
        update_fields=["state", "decision", "response", "acknowledged_by", "acknowledged_at"]
    )
    if not t.is_gate:
        verb = "handoff.acknowledged"
    elif decision == HandoffDecision.HOLD:
        verb = "handoff.hold"
    else:
        verb = "handoff.hold_lifted" if was == HandoffDecision.HOLD else "handoff.proceed"
    event = audit.record(
        release=release,
        actor=actor,
        on_behalf_of=permissions.acting_for(actor, release, [t.to_role.key]),
        verb=verb,
        subject=str(t),
        from_state=from_state,
        to_state=decision or HandoffState.ACKNOWLEDGED,
        comment=response,
    )
    if t.is_gate:
        handoff.release = release
        reopened = gate_services.sync_final_gate(
            release,
            actor=actor,
            now=now,
            reason=f"The DevOps Engineer put a hold on: {response}"
            if decision == HandoffDecision.HOLD
            else "",
            announce=False,
        )
        notices.handoff_decided(handoff, event, reopened=reopened is not None)
    return handoff


def set_due_times(release: Release, phase: str, *, now: datetime) -> None:
    """When a phase starts, its hand-offs fall due by the guide's timing (settings.HANDOFF_DUE);
    the caller holds the release lock."""
    for handoff in release.handoffs.filter(template__phase=phase).select_related("template"):
        due, overdue = settings.HANDOFF_DUE.get(handoff.template.key, (24, 48))
        handoff.due_at = now + timedelta(hours=due)
        handoff.overdue_at = now + timedelta(hours=max(due, overdue))
        handoff.reminded_at = handoff.escalated_at = None
        handoff.save(update_fields=["due_at", "overdue_at", "reminded_at", "escalated_at"])


def _verdicts(
    actor: AbstractBaseUser, release: Release, handoff: Handoff
) -> dict[str, lifecycle.Verdict]:
    held = permissions.held_role_keys(actor, release)
    return lifecycle.handoff_actions(handoff, stage=release.stage, held=held, user_id=actor.pk)
