"""The lifecycle of DESIGN.md: every state table and every "may this person do this now?".

`tables` is the data, `moves` moves a release along its transitions, `actions` answers for
each object what a person may do to it now and why not, for pages and services alike.
"""

from .actions import (
    YES,
    Verdict,
    forbid,
    gate_actions,
    handoff_actions,
    incident_actions,
    item_action,
    item_actions,
    no,
    release_action,
    release_actions,
    require,
    require_release_action,
)
from .moves import move, require_stage, require_transition, stage_label, stage_reason
from .tables import (
    ACKNOWLEDGE_PHASE_STAGES,
    ASSIGNABLE_STAGES,
    EDITABLE_STAGES,
    HANDOFF_PHASE_STAGES,
    INCIDENT_STAGES,
    PHASE_STAGES,
    RELEASE_ACTIONS,
    RESOLVE_STAGES,
    REVOKING_STAGES,
    SIGNING_STAGES,
    TRANSITIONS,
    GateState,
    Transition,
    upcoming,
)

__all__ = [
    "ACKNOWLEDGE_PHASE_STAGES",
    "ASSIGNABLE_STAGES",
    "EDITABLE_STAGES",
    "HANDOFF_PHASE_STAGES",
    "INCIDENT_STAGES",
    "PHASE_STAGES",
    "RELEASE_ACTIONS",
    "RESOLVE_STAGES",
    "REVOKING_STAGES",
    "SIGNING_STAGES",
    "TRANSITIONS",
    "YES",
    "GateState",
    "Transition",
    "Verdict",
    "forbid",
    "gate_actions",
    "handoff_actions",
    "incident_actions",
    "item_action",
    "item_actions",
    "move",
    "no",
    "release_action",
    "release_actions",
    "require",
    "require_release_action",
    "require_stage",
    "require_transition",
    "stage_label",
    "stage_reason",
    "upcoming",
]
