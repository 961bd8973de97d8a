"""Who hears about what, by email. Each function runs inside the service's transaction and
keys its notices by the audit event that caused them (one event, one notice per person).
"""

from .common import gate_link, oncall, release_link, role_people
from .delegations import delegation_cancelled, delegation_set_for_you, delegation_started
from .duties import final_decision_due, final_decision_recorded, release_deployed
from .freezes import deploy_override_recorded
from .gates import (
    approval_stale,
    final_gate_opened,
    gate_unapproved,
    gates_opened,
    qa_decision_reset,
)
from .handoffs import handoff_decided, handoff_sent
from .incidents import (
    action_item_assigned,
    action_item_due,
    action_item_overdue,
    incident_fixed_forward,
    incident_mitigated,
    incident_opened,
    incident_resolved,
    rollback_recorded,
)
from .policies import retroactive_due, retroactive_rejected
from .releases import (
    downgrade_deployed,
    release_approved,
    release_cancelled,
    release_reopened,
)
from .roles import role_changed
from .team import default_holder_named

__all__ = [
    "action_item_assigned",
    "action_item_due",
    "action_item_overdue",
    "approval_stale",
    "default_holder_named",
    "delegation_cancelled",
    "delegation_set_for_you",
    "delegation_started",
    "deploy_override_recorded",
    "downgrade_deployed",
    "final_decision_due",
    "final_decision_recorded",
    "final_gate_opened",
    "gate_link",
    "gate_unapproved",
    "gates_opened",
    "handoff_decided",
    "handoff_sent",
    "incident_fixed_forward",
    "incident_mitigated",
    "incident_opened",
    "incident_resolved",
    "oncall",
    "qa_decision_reset",
    "release_approved",
    "release_cancelled",
    "release_deployed",
    "release_link",
    "release_reopened",
    "retroactive_due",
    "retroactive_rejected",
    "role_changed",
    "role_people",
    "rollback_recorded",
]
