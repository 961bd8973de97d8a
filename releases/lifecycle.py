"""The release lifecycle of DESIGN.md as data: the one place that says which step is allowed when.

Services ask `require_transition` before moving a release; nothing else changes `Release.stage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from . import audit
from .errors import Refused
from .models import AuditEvent, ChecklistPhase, Release, Stage


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    label: str


def _t(name: str, sources: tuple[str, ...], target: str, label: str) -> Transition:
    return Transition(name, frozenset(sources), target, label)


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _t("stage", (Stage.PLANNING,), Stage.STAGING, "move to staging"),
        # Entered when the Project Manager confirms all sign-offs received.
        _t("approve", (Stage.STAGING,), Stage.APPROVED, "approve"),
        # A revoked, rejected or stale gate sends an approved release back to staging.
        _t("reopen", (Stage.APPROVED,), Stage.STAGING, "reopen for sign-off"),
        _t("deploy", (Stage.APPROVED,), Stage.DEPLOYED, "record the production deploy"),
        _t("close", (Stage.DEPLOYED,), Stage.CLOSED, "close"),
        _t("roll_back", (Stage.DEPLOYED,), Stage.ROLLED_BACK, "record a rollback"),
        _t(
            "cancel",
            (Stage.PLANNING, Stage.STAGING, Stage.APPROVED),
            Stage.CANCELLED,
            "cancel",
        ),
    ]
}

# Stages in which the release's own fields may be edited.
EDITABLE_STAGES = frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED})
# Stages in which gates may be decided or revoked ("until production deploy").
SIGNING_STAGES = frozenset({Stage.STAGING})
REVOKING_STAGES = frozenset({Stage.STAGING, Stage.APPROVED})
# Stages in which role assignments may change (not after the release is finished).
ASSIGNABLE_STAGES = frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED, Stage.DEPLOYED})
INCIDENT_STAGES = frozenset({Stage.DEPLOYED})
# An incident is triaged (root cause, action items) on the release it hit, rolled back or not.
RESOLVE_STAGES = frozenset({Stage.DEPLOYED, Stage.ROLLED_BACK})

# When checklist items and hand-offs of each phase can be worked on.
PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_RELEASE: frozenset({Stage.PLANNING}),
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.PLANNING, Stage.STAGING, Stage.APPROVED}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}
# The QA Lead -> DevOps hand-off is the pre-deployment gate: sent while sign-offs run.
HANDOFF_PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.STAGING}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}
# A sent hand-off can be acknowledged only while it can still matter: a pre-deploy one (the
# DevOps "proceed"/"hold") until the production deploy, a post-deploy one until the release ends.
ACKNOWLEDGE_PHASE_STAGES: dict[str, frozenset[str]] = {
    ChecklistPhase.PRE_DEPLOY: frozenset({Stage.STAGING, Stage.APPROVED}),
    ChecklistPhase.POST_DEPLOY: frozenset({Stage.DEPLOYED}),
}


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
    if current not in allowed:
        raise Refused(
            f"Cannot {action}: the release is {stage_label(current)}; this is only possible when "
            "it is " + " or ".join(sorted(stage_label(s) for s in allowed)) + "."
        )


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
    return audit.record(
        release=release,
        actor=actor,
        verb=f"release.{name}",
        subject="release",
        from_state=from_state,
        to_state=transition.target,
        comment=comment,
    )
