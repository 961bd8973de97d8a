"""Every change of a sign-off gate: approve, reject, revoke, open, turn stale.

Each public function locks the release row first and the gate second (the same order
everywhere, so concurrent actions queue rather than deadlock), refuses what the rules do not
allow, and writes its audit events in the same transaction.
"""

from ..selectors import FINAL_GATE
from .decisions import MAX_COMMENT, gate_approve, gate_reject, gate_revoke
from .retroactive import decided_after_deploy, set_due
from .sync import final_gate_may_open, mark_stale, open_gates, reassigned, sync_final_gate

__all__ = [
    "FINAL_GATE",
    "MAX_COMMENT",
    "decided_after_deploy",
    "final_gate_may_open",
    "gate_approve",
    "gate_reject",
    "gate_revoke",
    "mark_stale",
    "open_gates",
    "reassigned",
    "set_due",
    "sync_final_gate",
]
