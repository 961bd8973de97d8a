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

__all__ = [
    "STAGE_ACTIONS",
    "action_item_defer",
    "action_item_done",
    "checklist_action",
    "dashboard",
    "duty_done",
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
]
