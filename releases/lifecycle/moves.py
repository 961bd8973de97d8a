"""Moving a release along its transition table; nothing else changes `Release.stage`."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from octoacme.errors import Refused

from .. import audit, events, permissions
from ..models import AuditEvent, Release, Stage
from .tables import TRANSITIONS, Transition


def stage_reason(allowed: frozenset[str], current: str, action: str) -> str:
    """Why `action` is not possible in stage `current` (empty when it is)."""
    if current in allowed:
        return ""
    return (
        f"Cannot {action}: the release is {stage_label(current)}; this is only possible when "
        "it is " + " or ".join(sorted(stage_label(s) for s in allowed)) + "."
    )


def stage_label(stage: str) -> str:
    return Stage(stage).label.lower()


def require_transition(name: str, current: str) -> Transition:
    transition = TRANSITIONS[name]
    if current not in transition.sources:
        raise Refused(
            f"Cannot {transition.label}: the release is {stage_label(current)}, and this step "
            f"is only possible when it is "
            + " or ".join(sorted(stage_label(s) for s in transition.sources))
            + "."
        )
    return transition


def require_stage(allowed: frozenset[str], current: str, action: str) -> None:
    reason = stage_reason(allowed, current, action)
    if reason:
        raise Refused(reason)


# The timestamp each transition records on the release (None clears it).
_STAMPS: dict[str, tuple[str, bool]] = {
    "stage": ("staged_at", True),
    "approve": ("approved_at", True),
    "reopen": ("approved_at", False),
    "deploy": ("deployed_at", True),
    "close": ("closed_at", True),
    "cancel": ("cancelled_at", True),
    "roll_back": ("rolled_back_at", True),
}


def move(
    release: Release, name: str, *, actor: AbstractBaseUser | None, now: datetime, comment: str = ""
) -> AuditEvent:
    """Apply transition `name` to a release the caller has locked, with its audit event."""
    transition = require_transition(name, release.stage)
    from_state = release.stage
    release.stage = transition.target
    field, set_it = _STAMPS[name]
    setattr(release, field, now if set_it else None)
    release.save(update_fields=["stage", field, "updated_at"])
    # A delegate taking the step records whom they act for ("by X for Y"), as gate decisions do.
    roles = permissions.ACTION_ROLES.get(name)
    event = audit.record(
        release=release,
        actor=actor,
        on_behalf_of=permissions.acting_for(actor, release, roles) if roles and actor else None,
        verb=f"release.{name}",
        subject="release",
        from_state=from_state,
        to_state=transition.target,
        comment=comment,
    )
    # Here, where every stage change happens, so chat hears each one once (#15).
    events.stage_changed(release, from_stage=from_state, to_stage=transition.target, step=name)
    return event
