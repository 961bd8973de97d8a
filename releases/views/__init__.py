"""Release pages. Each POST view reads a form, calls one service and redirects.

A refusal (bad input, wrong stage, someone acted first) becomes a message on the page it came
from and changes nothing; `PermissionDenied` from a service becomes a 403.
"""

from .actions import (
    STAGE_ACTIONS,
    checklist_action,
    handoff_acknowledge,
    handoff_send,
    release_action,
)
from .duties import duty_done
from .edit import release_create, release_edit
from .freezes import deploy_override, freeze_create, freeze_end, freeze_list
from .incidents import (
    action_item_defer,
    action_item_done,
    incident_close_review,
    incident_failed_deploy,
    incident_fix_forward,
    incident_item_add,
    incident_mitigate,
    incident_open,
    incident_resolve,
    incident_rollback,
)
from .pages import dashboard, my_work, release_detail, release_notes
from .team import team, team_assign, team_default_set, team_exception_record, team_separation_set

__all__ = [
    "STAGE_ACTIONS",
    "action_item_defer",
    "action_item_done",
    "checklist_action",
    "dashboard",
    "deploy_override",
    "duty_done",
    "freeze_create",
    "freeze_end",
    "freeze_list",
    "handoff_acknowledge",
    "handoff_send",
    "incident_close_review",
    "incident_failed_deploy",
    "incident_fix_forward",
    "incident_item_add",
    "incident_mitigate",
    "incident_open",
    "incident_resolve",
    "incident_rollback",
    "my_work",
    "release_action",
    "release_create",
    "release_detail",
    "release_edit",
    "release_notes",
    "team",
    "team_assign",
    "team_default_set",
    "team_exception_record",
    "team_separation_set",
]
