"""Keeping the gates in step with the release: final gate, checklist, staleness, QA, holders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from octoacme.names import display_name
from releases import audit, lifecycle, notices
from releases.models import (
    AuditEvent,
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Handoff,
    HandoffDecision,
    HandoffState,
    Release,
    Stage,
)

from .. import selectors
from ..models import GateState, SignOff
from ..selectors import FINAL_GATE
from .duties import reopen_final_decision, reopen_pre_release
from .state import _set_state


def _sync_checklist(release: Release, gates: list[SignOff] | None = None) -> None:
    """The seven sign-off checklist items tick themselves from their gates."""
    if gates is None:
        gates = list(SignOff.objects.filter(release=release))
    approved_roles = {g.role_id for g in gates if g.state == GateState.APPROVED}
    items = ChecklistItem.objects.filter(
        release=release, template__kind=ChecklistKind.GATE
    ).select_related("template")
    for item in items:
        want = (
            ChecklistState.DONE if item.template.owner_id in approved_roles else ChecklistState.OPEN
        )
        if item.state != want:
            item.state = want
            item.done_at = timezone.now() if want == ChecklistState.DONE else None
            item.save(update_fields=["state", "done_at"])


def _turn_stale(
    gate: SignOff, *, actor: AbstractBaseUser | None, now: datetime, comment: str
) -> AuditEvent:
    """An approval that no longer holds: pending again, marked stale, history kept; the
    pre-release duty it confirmed is to do again."""
    event = _set_state(
        gate,
        state=GateState.PENDING,
        actor=actor,
        now=now,
        stale=True,
        verb="gate.stale",
        comment=comment,
    )
    reopen_pre_release(
        gate.release, gate, actor=actor, why=f"The {gate.role.name} approval turned stale."
    )
    return event


def final_gate_may_open(gates: list[SignOff], *, qa_proceed: bool) -> bool:
    """The Project Manager confirms only after the six role gates approve and QA says proceed
    (under an expedited policy, the role gates it keeps before the deploy)."""
    six = all(g.state == GateState.APPROVED for g in gates if selectors.before_deploy(g))
    return six and qa_proceed


def _after_change(
    release: Release, *, actor: AbstractBaseUser | None, now: datetime, reason: str = ""
) -> AuditEvent | None:
    """Keep the Project Manager's gate, the release stage and the checklist consistent.

    Returns the audit event of moving an approved release back to staging, if that happened,
    so the caller can tell the people who were told it was ready.
    """
    # One read of all seven gates; the release lock (taken by every caller) already keeps
    # them from changing under us, so the final gate needs no lock of its own.
    gates = list(SignOff.objects.filter(release=release).select_related("role"))
    final = next(g for g in gates if g.role.key == FINAL_GATE)
    final.release = release
    may_open = final_gate_may_open(gates, qa_proceed=selectors.qa_says_proceed(release))
    if may_open and final.opened_at is None:
        final.opened_at = now
        final.save(update_fields=["opened_at"])
        event = audit.record(
            release=release,
            actor=actor,
            verb="gate.opened",
            subject=final.role.name,
            comment=_opened_because(gates),
        )
        notices.final_gate_opened(
            release, final, event, after=[g.role.name for g in gates if g.retroactive]
        )
    elif not may_open:
        if final.state == GateState.APPROVED:
            _turn_stale(
                final,
                actor=actor,
                now=now,
                comment=reason
                or "A role gate or the DevOps Engineer's “proceed” is no longer there.",
            )
        if final.opened_at is not None:
            final.opened_at = None
            final.save(update_fields=["opened_at"])
    reopened = None
    if release.stage == Stage.APPROVED and final.state != GateState.APPROVED:
        reopened = lifecycle.move(
            release,
            "reopen",
            actor=actor,
            now=now,
            comment=reason or "A gate is no longer approved; sign-off continues.",
        )
        reopen_final_decision(release, actor=actor)
    _sync_checklist(release, gates)
    return reopened


def _opened_because(gates: list[SignOff]) -> str:
    after = [g.role.name for g in gates if g.retroactive]
    if not after:
        return (
            "All six role gates are approved and QA says proceed: the Project Manager may confirm."
        )
    return (
        "The role gates due before the deploy are approved and QA says proceed: the Project "
        "Manager may confirm. Under the release's expedited policy "
        + ", ".join(after)
        + " sign after the deploy."
    )


def sync_final_gate(
    release: Release,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    reason: str = "",
    announce: bool = True,
) -> AuditEvent | None:
    """After the QA hand-off's decision changed: open or close the final gate (caller locked).

    Returns the event of sending an approved release back to staging, if that happened; it is
    announced here unless the caller's own notice says so (`announce=False`)."""
    reopened = _after_change(release, actor=actor, now=now, reason=reason)
    if reopened is not None and announce:
        notices.release_reopened(release, reopened)
    return reopened


def open_gates(
    release: Release, *, actor: AbstractBaseUser | None, now: datetime, event: AuditEvent
) -> None:
    """Open the six role gates when the release enters staging (caller holds the lock)."""
    gates = SignOff.objects.filter(release=release).exclude(role__key=FINAL_GATE)
    gates.update(opened_at=now)
    notices.gates_opened(release, gates.select_related("role"), event)


def mark_stale(
    release: Release,
    *,
    actor: AbstractBaseUser | None,
    now: datetime,
    changed: Iterable[str],
) -> int:
    """Turn every approval pending again after a scope change; people sign what they saw."""
    gates = (
        SignOff.objects.select_for_update(of=("self",))
        .select_related("role")
        .filter(release=release, state=GateState.APPROVED)
    )
    count = 0
    reason = "Scope changed after approval: " + ", ".join(changed) + "."
    for gate in gates:
        gate.release = release
        signer = gate.decided_by
        event = _turn_stale(
            gate,
            actor=actor,
            now=now,
            comment=reason,
        )
        notices.approval_stale(gate, signer, event)
        count += 1
    _reset_qa_decision(release, actor=actor, reason=reason)
    if count:
        reopened = _after_change(release, actor=actor, now=now)
        if reopened is not None:
            notices.release_reopened(release, reopened)
    return count


def _reset_qa_decision(release: Release, *, actor: AbstractBaseUser | None, reason: str) -> None:
    """The QA Lead's results and the DevOps Engineer's "proceed" were about what was on
    staging: a scope change asks for both again.

    A "hold" stays: it blocks until the DevOps Engineer lifts it, whatever changed.
    """
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .select_related("template__from_role", "template__to_role")
        .filter(release=release, template__is_gate=True, decision=HandoffDecision.PROCEED)
        .exclude(state=HandoffState.PENDING)
        .first()
    )
    if handoff is None:
        return
    from_state = handoff.decision or handoff.state
    handoff.state, handoff.decision = HandoffState.PENDING, ""
    handoff.acknowledged_by = handoff.acknowledged_at = None
    handoff.response = ""
    handoff.save(
        update_fields=["state", "decision", "response", "acknowledged_by", "acknowledged_at"]
    )
    handoff.release = release
    event = audit.record(
        release=release,
        actor=actor,
        verb="handoff.reset",
        subject=str(handoff.template),
        from_state=from_state,
        to_state=HandoffState.PENDING,
        comment=reason + " The QA Lead hands off again and the DevOps Engineer decides again.",
    )
    notices.qa_decision_reset(handoff, event)


def reassigned(
    release: Release,
    gate: SignOff,
    *,
    actor: AbstractBaseUser,
    now: datetime,
    holders: set[int],
) -> None:
    """After a role changed hands (caller holds the locks): an approval given by someone who
    no longer holds the role stops counting, and the new people are asked or told."""
    gate.release = release
    if (
        release.stage in lifecycle.REVOKING_STAGES
        and gate.state == GateState.APPROVED
        and gate.decided_by_id not in holders
    ):
        # No "sign again" to the old signer: they no longer hold the role, and the
        # assignment notice tells them so.
        _turn_stale(
            gate,
            actor=actor,
            now=now,
            comment=f"{display_name(gate.decided_by)}, who approved, no longer holds the role: "
            "the new holder signs.",
        )
        reopened = _after_change(release, actor=actor, now=now)
        if reopened is not None:
            notices.release_reopened(release, reopened)
