"""Every change of a sign-off gate: approve, reject, revoke, open, turn stale.

Each public function locks the release row first and the gate second (the same order
everywhere, so concurrent actions queue rather than deadlock), refuses what the rules do not
allow, and writes its audit events in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from releases import audit, lifecycle, notices
from releases.errors import Refused
from releases.models import (
    AuditEvent,
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Handoff,
    HandoffDecision,
    HandoffState,
    Release,
    RoleKey,
    Stage,
)

from . import permissions
from .models import GateState, SignOff

FINAL_GATE = RoleKey.PROJECT_MANAGER
MAX_COMMENT = 5000


def _lock(gate_id: int) -> tuple[Release, SignOff]:
    """Lock the gate's release (every change to a release's gates takes this lock first),
    then read the gate under it."""
    release = Release.objects.select_for_update(of=("self",)).filter(signoffs__pk=gate_id).first()
    if release is None:
        raise Refused("This sign-off gate does not exist.")
    gate = SignOff.objects.select_related("role").get(pk=gate_id)
    return release, gate


def _check_actor(actor: AbstractBaseUser, gate: SignOff) -> None:
    if not permissions.can_sign(actor, gate):
        raise PermissionDenied(
            f"You do not hold the {gate.role.name} gate of this release, so you cannot sign it."
        )


def _check_revision(gate: SignOff, revision: int | None) -> None:
    if revision is not None and revision != gate.revision:
        raise Refused(
            f"The {gate.role.name} gate changed while you were reading it "
            f"(it is now {gate.get_state_display().lower()}). Review it again before deciding."
        )


def _require_open(gate: SignOff) -> None:
    if gate.opened_at is None:
        raise Refused(f"The {gate.role.name} gate is not open for sign-off yet.")


def _clean_comment(comment: str, *, required: bool, what: str) -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ValidationError({"comment": f"Give a reason: {what}."})
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": f"Keep the comment under {MAX_COMMENT} characters."})
    return comment


def _set_state(
    gate: SignOff,
    *,
    state: str,
    actor: AbstractBaseUser | None,
    now: datetime,
    comment: str = "",
    stale: bool = False,
    verb: str,
) -> AuditEvent:
    from_state = gate.state
    gate.state = state
    gate.stale = stale
    gate.comment = comment
    gate.decided_by = actor if state != GateState.PENDING else None
    gate.decided_at = now if state != GateState.PENDING else None
    gate.revision += 1
    gate.save(update_fields=["state", "stale", "comment", "decided_by", "decided_at", "revision"])
    return audit.record(
        release=gate.release,
        actor=actor,
        verb=verb,
        subject=gate.role.name,
        from_state=from_state,
        to_state="stale" if stale else state,
        comment=comment,
    )


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


def _qa_says_proceed(release: Release) -> bool:
    return Handoff.objects.filter(
        release=release,
        template__is_gate=True,
        state__in=[HandoffState.SENT, HandoffState.ACKNOWLEDGED],
        decision=HandoffDecision.PROCEED,
    ).exists()


def _role_gates(release: Release) -> list[SignOff]:
    return [
        g
        for g in SignOff.objects.filter(release=release).select_related("role")
        if g.role.key != FINAL_GATE
    ]


def _after_change(release: Release, *, actor: AbstractBaseUser | None, now: datetime) -> None:
    """Keep the Project Manager's gate, the release stage and the checklist consistent."""
    # One read of all seven gates; the release lock (taken by every caller) already keeps
    # them from changing under us, so the final gate needs no lock of its own.
    gates = list(SignOff.objects.filter(release=release).select_related("role"))
    final = next(g for g in gates if g.role.key == FINAL_GATE)
    final.release = release
    six_approved = all(g.state == GateState.APPROVED for g in gates if g is not final)
    if six_approved and final.opened_at is None:
        final.opened_at = now
        final.save(update_fields=["opened_at"])
        event = audit.record(
            release=release,
            actor=actor,
            verb="gate.opened",
            subject=final.role.name,
            comment="All six role gates are approved: the Project Manager may confirm.",
        )
        notices.final_gate_opened(release, final, event)
    elif not six_approved:
        if final.state == GateState.APPROVED:
            _set_state(
                final,
                state=GateState.PENDING,
                actor=actor,
                now=now,
                stale=True,
                verb="gate.stale",
                comment="A role gate is no longer approved.",
            )
        if final.opened_at is not None:
            final.opened_at = None
            final.save(update_fields=["opened_at"])
    if release.stage == Stage.APPROVED and final.state != GateState.APPROVED:
        lifecycle.move(
            release,
            "reopen",
            actor=actor,
            now=now,
            comment="A gate is no longer approved; sign-off continues.",
        )
    _sync_checklist(release, gates)


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
        event = _set_state(
            gate,
            state=GateState.PENDING,
            actor=actor,
            now=now,
            stale=True,
            verb="gate.stale",
            comment=reason,
        )
        notices.approval_stale(gate, signer, event)
        count += 1
    if count:
        _after_change(release, actor=actor, now=now)
    return count


@transaction.atomic
def gate_approve(
    *, gate_id: int, actor: AbstractBaseUser, comment: str = "", revision: int | None = None
) -> SignOff:
    release, gate = _lock(gate_id)
    gate.release = release
    _check_actor(actor, gate)
    _check_revision(gate, revision)
    lifecycle.require_stage(lifecycle.SIGNING_STAGES, release.stage, "approve a gate")
    if gate.state == GateState.APPROVED:
        raise Refused(f"The {gate.role.name} gate is already approved.")
    if gate.role.key == FINAL_GATE:
        waiting = [g.role.name for g in _role_gates(release) if g.state != GateState.APPROVED]
        if waiting:
            raise Refused(
                "The Project Manager confirms all sign-offs received only after the other six; "
                "still waiting for: " + ", ".join(waiting) + "."
            )
        if not _qa_says_proceed(release):
            raise Refused(
                "The QA Lead → DevOps Engineer hand-off has not said “proceed”; "
                "the release cannot be approved."
            )
    _require_open(gate)
    comment = _clean_comment(comment, required=False, what="")
    now = timezone.now()
    _set_state(
        gate, state=GateState.APPROVED, actor=actor, now=now, comment=comment, verb="gate.approved"
    )
    if gate.role.key == FINAL_GATE:
        event = lifecycle.move(
            release, "approve", actor=actor, now=now, comment="All sign-offs received."
        )
        notices.release_approved(release, event)
        _sync_checklist(release)
    else:
        _after_change(release, actor=actor, now=now)
    return gate


@transaction.atomic
def gate_reject(
    *, gate_id: int, actor: AbstractBaseUser, reason: str, revision: int | None = None
) -> SignOff:
    release, gate = _lock(gate_id)
    gate.release = release
    _check_actor(actor, gate)
    _check_revision(gate, revision)
    reason = _clean_comment(reason, required=True, what="why is this gate rejected")
    lifecycle.require_stage(lifecycle.REVOKING_STAGES, release.stage, "reject a gate")
    _require_open(gate)
    if gate.state == GateState.REJECTED:
        raise Refused(f"The {gate.role.name} gate is already rejected.")
    now = timezone.now()
    event = _set_state(
        gate, state=GateState.REJECTED, actor=actor, now=now, comment=reason, verb="gate.rejected"
    )
    notices.gate_rejected(gate, event)
    _after_change(release, actor=actor, now=now)
    return gate


@transaction.atomic
def gate_revoke(
    *, gate_id: int, actor: AbstractBaseUser, comment: str = "", revision: int | None = None
) -> SignOff:
    release, gate = _lock(gate_id)
    gate.release = release
    _check_actor(actor, gate)
    _check_revision(gate, revision)
    lifecycle.require_stage(lifecycle.REVOKING_STAGES, release.stage, "revoke an approval")
    if gate.state != GateState.APPROVED:
        raise Refused(
            f"Only an approval can be revoked; the {gate.role.name} gate is "
            f"{gate.get_state_display().lower()}."
        )
    comment = _clean_comment(comment, required=False, what="")
    now = timezone.now()
    _set_state(
        gate, state=GateState.PENDING, actor=actor, now=now, comment=comment, verb="gate.revoked"
    )
    _after_change(release, actor=actor, now=now)
    return gate
