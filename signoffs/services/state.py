"""Writing one gate's state: who decided, for whom, and its audit event."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from octoacme.names import display_name
from releases import audit, events
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
    delegated_by: AbstractBaseUser | None = None,
) -> AuditEvent:
    """`delegated_by`: the person `actor` decides for by delegation (see
    `permissions.signing_for`); else a backup deciding is recorded as acting for the holder."""
    from_state = gate.state
    decided = state != GateState.PENDING
    gate.state = state
    gate.stale = stale
    gate.comment = comment
    gate.decided_by = actor if decided else None
    gate.decided_at = now if decided else None
    # A delegate or a backup decides for someone: the decision says "by X for Y".
    gate.decided_for = (delegated_by or _holder_if_other(gate, actor)) if decided else None
    gate.revision += 1
    gate.save(
        update_fields=[
            *("state", "stale", "comment", "decided_by", "decided_at", "decided_for", "revision")
        ]
    )
    if delegated_by is not None:
        on_behalf = f"For {display_name(delegated_by)}, by delegation. "
    elif gate.decided_for:
        on_behalf = f"For {display_name(gate.decided_for)}, as backup. "
    else:
        on_behalf = ""
    event = audit.record(
        release=gate.release,
        actor=actor,
        on_behalf_of=delegated_by,
        verb=verb,
        subject=gate.role.name,
        from_state=from_state,
        to_state="stale" if stale else state,
        comment=(on_behalf + comment).strip(),
    )
    # Every gate decision passes here (approvals have no email of their own to sit beside).
    events.gate_changed(gate, verb, actor_name=display_name(actor), comment=comment)
    return event


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
