"""Release pages. Each POST view reads a form, calls one service and redirects.

A refusal (bad input, wrong stage, someone acted first) becomes a message on the page it came
from and changes nothing; `PermissionDenied` from a service becomes a 403.
"""

from .actions import (
    STAGE_ACTIONS,
    checklist_action,
    handoff_acknowledge,
    handoff_send,
    incident_open,
    incident_resolve,
    incident_rollback,
    release_action,
)
from .edit import release_create, release_edit
from .pages import dashboard, my_work, release_detail, release_notes

__all__ = [
    "STAGE_ACTIONS",
    "checklist_action",
    "dashboard",
    "handoff_acknowledge",
    "handoff_send",
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
