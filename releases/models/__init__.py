"""The guide's vocabulary: releases, roles, assignments, checklist, hand-offs, incidents, audit.

State changes never happen here: they live in `releases.services` (and `signoffs.services`),
which lock rows, check the transition table in `releases.lifecycle` and write audit events.
"""

from .audit import AuditEvent, AuditEventQuerySet
from .checklist import (
    ChecklistGroup,
    ChecklistItem,
    ChecklistKind,
    ChecklistPhase,
    ChecklistState,
    ChecklistTemplate,
)
from .duties import DUTY_FIELDS, Duty, DutyPhase, DutyState
from .followups import FollowUp, FollowUpKind
from .handoffs import Handoff, HandoffDecision, HandoffState, HandoffTemplate
from .incidents import ActionItem, ActionItemState, Incident, IncidentState, Severity
from .pipeline import (
    Decision,
    Deployment,
    DeploymentState,
    EvidenceKind,
    EvidenceRecord,
    GateCheck,
)
from .policy import DeployOverride, Freeze, FreezeKind, ReleasePolicy, Weekday
from .release import (
    ACTIVE_STAGES,
    FINISHED_STAGES,
    SEMVER_RE,
    Release,
    ReleaseQuerySet,
    ReleaseType,
    Stage,
    semver_validator,
    version_key,
)
from .roles import DefaultHolder, Role, RoleAssignment, RoleKey
from .team import Delegation, DutyException, Profile, TeamSettings

__all__ = [
    "ACTIVE_STAGES",
    "DUTY_FIELDS",
    "FINISHED_STAGES",
    "SEMVER_RE",
    "ActionItem",
    "ActionItemState",
    "AuditEvent",
    "AuditEventQuerySet",
    "ChecklistGroup",
    "ChecklistItem",
    "ChecklistKind",
    "ChecklistPhase",
    "ChecklistState",
    "ChecklistTemplate",
    "Decision",
    "DefaultHolder",
    "Delegation",
    "DeployOverride",
    "Deployment",
    "DeploymentState",
    "Duty",
    "DutyException",
    "DutyPhase",
    "DutyState",
    "EvidenceKind",
    "EvidenceRecord",
    "FollowUp",
    "FollowUpKind",
    "Freeze",
    "FreezeKind",
    "GateCheck",
    "Handoff",
    "HandoffDecision",
    "HandoffState",
    "HandoffTemplate",
    "Incident",
    "IncidentState",
    "Profile",
    "Release",
    "ReleasePolicy",
    "ReleaseQuerySet",
    "ReleaseType",
    "Role",
    "RoleAssignment",
    "RoleKey",
    "Severity",
    "Stage",
    "TeamSettings",
    "Weekday",
    "semver_validator",
    "version_key",
]
