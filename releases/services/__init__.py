"""Every change of state of a release, its roles, checklist, hand-offs and incidents.

One module per concern. Each function takes keyword arguments and the acting user, runs in one
transaction, locks the release row before touching anything of it (`releases.locks`: one lock
order for the whole app, so two people acting at once queue and the second sees the first's
result), refuses what the lifecycle or the guide's rules do not allow, and writes its audit
event in the same transaction.

Raises: `PermissionDenied` (not yours to do), `ValidationError` (bad input),
`Refused` (not possible in the current state).
"""

from .action_items import (
    action_item_add,
    action_item_defer,
    action_item_done,
    incident_close_review,
)
from .assignments import role_assign
from .checklist import checklist_complete, checklist_mark_not_applicable, checklist_reopen
from .delegations import delegation_cancel, delegation_create
from .deploy import release_record_deploy
from .duties import duty_done
from .freezes import deploy_override_record, freeze_create, freeze_end
from .handoffs import handoff_acknowledge, handoff_send
from .incidents import (
    incident_fix_forward,
    incident_mitigate,
    incident_open,
    incident_record_rollback,
    incident_resolve,
    release_record_failed_deploy,
)
from .profile import profile_set_time_zone
from .releases import (
    release_cancel,
    release_close,
    release_create,
    release_move_to_staging,
    release_update,
)
from .team import default_holder_set, duty_exception_record, separation_set

__all__ = [
    "action_item_add",
    "action_item_defer",
    "action_item_done",
    "checklist_complete",
    "checklist_mark_not_applicable",
    "checklist_reopen",
    "default_holder_set",
    "delegation_cancel",
    "delegation_create",
    "deploy_override_record",
    "duty_done",
    "duty_exception_record",
    "freeze_create",
    "freeze_end",
    "handoff_acknowledge",
    "handoff_send",
    "incident_close_review",
    "incident_fix_forward",
    "incident_mitigate",
    "incident_open",
    "incident_record_rollback",
    "incident_resolve",
    "profile_set_time_zone",
    "release_cancel",
    "release_close",
    "release_create",
    "release_move_to_staging",
    "release_record_deploy",
    "release_record_failed_deploy",
    "release_update",
    "role_assign",
    "separation_set",
]
