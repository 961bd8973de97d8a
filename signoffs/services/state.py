"""Writing one gate's state: who decided, for whom, and its audit event."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from octoacme.names import display_name
from releases import audit
from releases.models import AuditEvent, RoleAssignment

from ..models import GateState, SignOff


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
    decided = state != GateState.PENDING
    gate.state = state
    gate.stale = stale
    gate.comment = comment
    gate.decided_by = actor if decided else None
    gate.decided_at = now if decided else None
    # A backup decides for the holder: the decision says "by X for Y".
    gate.decided_for = _holder_if_other(gate, actor) if decided else None
    gate.revision += 1
    gate.save(
        update_fields=[
            *("state", "stale", "comment", "decided_by", "decided_at", "decided_for", "revision")
        ]
    )
    on_behalf = f"For {display_name(gate.decided_for)}, as backup. " if gate.decided_for else ""
    return audit.record(
        release=gate.release,
        actor=actor,
        verb=verb,
        subject=gate.role.name,
        from_state=from_state,
        to_state="stale" if stale else state,
        comment=(on_behalf + comment).strip(),
    )


def _holder_if_other(gate: SignOff, actor: AbstractBaseUser | None) -> AbstractBaseUser | None:
    """The role's holder when `actor` is someone else (its backup), else None."""
    if actor is None:
        return None
    assignment = (
        RoleAssignment.objects.filter(release_id=gate.release_id, role_id=gate.role_id)
        .select_related("holder")
        .first()
    )
    if assignment is None or assignment.holder_id in (None, actor.pk):
        return None
    return assignment.holder
