"""Every change of state of a release, its roles, checklist, hand-offs and incidents.

One module per concern. Each function takes keyword arguments and the acting user, runs in one
transaction, locks the release row before touching anything of it (`releases.locks`: one lock
order for the whole app, so two people acting at once queue and the second sees the first's
result), refuses what the lifecycle or the guide's rules do not allow, and writes its audit
event in the same transaction.

Raises: `PermissionDenied` (not yours to do), `ValidationError` (bad input),
`Refused` (not possible in the current state).
"""

from .assignments import role_assign
from .checklist import checklist_complete, checklist_mark_not_applicable, checklist_reopen
from .deploy import release_record_deploy
from .handoffs import handoff_acknowledge, handoff_send
from .incidents import incident_open, incident_record_rollback, incident_resolve
from .releases import (
    release_cancel,
    release_close,
    release_create,
    release_move_to_staging,
    release_update,
)

__all__ = [
    "checklist_complete",
    "checklist_mark_not_applicable",
    "checklist_reopen",
    "handoff_acknowledge",
    "handoff_send",
    "incident_open",
    "incident_record_rollback",
    "incident_resolve",
    "release_cancel",
    "release_close",
    "release_create",
    "release_move_to_staging",
    "release_record_deploy",
    "release_update",
    "role_assign",
]
