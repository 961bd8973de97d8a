"""What a gate's decision does to its role's pre-release duty, and what sending an approved
release back to staging does to the Product Manager's final release decision.

Approving a gate confirms the role's pre-release duty ("the sign-off page shows the duty and
approving confirms it"); an approval that no longer holds (revoked, rejected, stale) reopens
it. The callers hold the release lock; each change writes its audit event.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from releases import audit, notices
from releases.models import AuditEvent, Duty, DutyPhase, DutyState, Release, RoleKey

from ..models import SignOff


def _record(
    duty: Duty, *, release: Release, actor: AbstractBaseUser | None, verb: str, comment: str
) -> None:
    audit.record(
        release=release,
        actor=actor,
        verb=verb,
        subject=f"{duty.role.name}: {duty.text}",
        from_state=DutyState.OPEN if verb == "duty.done" else DutyState.DONE,
        to_state=DutyState.DONE if verb == "duty.done" else DutyState.OPEN,
        comment=comment,
    )


def _duty(release: Release, role_id: int, phase: str) -> Duty | None:
    # Releases finished before duties existed have none; nothing to confirm there.
    return (
        Duty.objects.select_related("role")
        .filter(release=release, role_id=role_id, phase=phase)
        .first()
    )


def confirm_pre_release(
    release: Release, gate: SignOff, *, actor: AbstractBaseUser, now: datetime
) -> None:
    """The approver confirms their role's pre-release duty by approving its gate."""
    duty = _duty(release, gate.role_id, DutyPhase.PRE_RELEASE)
    if duty is None or duty.state == DutyState.DONE:
        return
    duty.state, duty.done_by, duty.done_at = DutyState.DONE, actor, now
    duty.note = f"Confirmed by approving the {gate.role.name} gate"
    duty.save(update_fields=["state", "done_by", "done_at", "note"])
    _record(duty, release=release, actor=actor, verb="duty.done", comment=duty.note + ".")


def reopen_pre_release(
    release: Release, gate: SignOff, *, actor: AbstractBaseUser | None, why: str
) -> None:
    """The approval that confirmed the duty no longer holds: the duty is to do again."""
    duty = _duty(release, gate.role_id, DutyPhase.PRE_RELEASE)
    if duty is not None:
        _reopen(duty, release=release, actor=actor, why=why)


def _final_decision(release: Release) -> Duty | None:
    return (
        Duty.objects.select_related("role")
        .filter(release=release, role__key=RoleKey.PRODUCT_MANAGER, phase=DutyPhase.RELEASE_DAY)
        .first()
    )


def ask_final_decision(release: Release, event: AuditEvent) -> None:
    """The release is approved: the Product Manager is asked for the final release decision."""
    notices.final_decision_due(release, _final_decision(release), event)


def reopen_final_decision(release: Release, *, actor: AbstractBaseUser | None) -> None:
    """Back in staging: the Product Manager's final decision was about the approved scope."""
    duty = _final_decision(release)
    if duty is not None:
        _reopen(
            duty,
            release=release,
            actor=actor,
            why="The release went back to staging; the final release decision is taken again "
            "once it is approved.",
        )


def _reopen(duty: Duty, *, release: Release, actor: AbstractBaseUser | None, why: str) -> None:
    if duty.state != DutyState.DONE:
        return
    duty.state, duty.done_by, duty.done_at, duty.note = DutyState.OPEN, None, None, ""
    duty.save(update_fields=["state", "done_by", "done_at", "note"])
    _record(duty, release=release, actor=actor, verb="duty.reopened", comment=why)
