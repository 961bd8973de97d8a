"""What may this person do to this object now, and if not, why not: one answer for pages and
services. A page shows a button exactly when its verdict allows it (else the reason); the
service asks the same function under its lock and refuses with the same reason.

Each function takes what the caller already knows (the roles the person holds on the release,
whether guardian lets them sign a gate), so a page asks without extra queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied

from octoacme.errors import Refused

from .. import permissions
from ..models import (
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Handoff,
    HandoffState,
    Incident,
    IncidentState,
    Release,
    RoleKey,
)
from .moves import stage_reason
from .tables import (
    ACKNOWLEDGE_PHASE_STAGES,
    HANDOFF_PHASE_STAGES,
    PHASE_STAGES,
    RELEASE_ACTIONS,
    REVOKING_STAGES,
    SIGNING_STAGES,
    GateState,
)


@dataclass(frozen=True)
class Verdict:
    """Allowed, or the reason why not; `forbidden` when it is not this person's to do at all
    (a 403), as opposed to not possible now (a message)."""

    ok: bool
    reason: str = ""
    forbidden: bool = False

    def __bool__(self) -> bool:
        return self.ok


YES = Verdict(True)


def no(reason: str) -> Verdict:
    return Verdict(False, reason)


def forbid(reason: str) -> Verdict:
    return Verdict(False, reason, forbidden=True)


def first_no(*checks: str) -> Verdict:
    """The first non-empty reason, as a refusal; allowed when there is none."""
    return next((no(reason) for reason in checks if reason), YES)


def require(verdict: Verdict) -> None:
    """Raise what a service raises for a verdict that does not allow the action."""
    if verdict.ok:
        return
    if verdict.forbidden:
        raise PermissionDenied(verdict.reason)
    raise Refused(verdict.reason)


# --- Releases ----------------------------------------------------------------------------------


def release_action(user: Any, release: Release, action: str, held: Iterable[str]) -> Verdict:
    """`held`: the keys of the roles `user` holds (or backs up) on the release."""
    if not permissions.can(user, action, release, held=set(held)):
        return forbid(permissions.refusal(action))
    stages, label = RELEASE_ACTIONS[action]
    if reason := stage_reason(stages, release.stage, label):
        return no(reason)
    if action == "roll_back" and release.superseded_by_id is not None:
        return no(
            f"{release} is no longer in production: {release.superseded_by} replaced it. "
            "Only the release in production can be rolled back."
        )
    return YES


def release_actions(user: Any, release: Release, held: Iterable[str]) -> dict[str, Verdict]:
    held = set(held)
    return {action: release_action(user, release, action, held) for action in RELEASE_ACTIONS}


# --- Gates -------------------------------------------------------------------------------------


def gate_actions(
    gate: Any,
    *,
    stage: str,
    may_sign: bool,
    waiting: Iterable[str] = (),
    qa_proceed: bool = True,
) -> dict[str, Verdict]:
    """approve, reject, revoke. For the final gate, `waiting` names the role gates not yet
    approved and `qa_proceed` says whether the QA Lead's hand-off says proceed."""
    role = gate.role.name
    if not may_sign:
        refusal = forbid(f"You do not hold the {role} gate of this release, so you cannot sign it.")
        return dict.fromkeys(("approve", "reject", "revoke"), refusal)
    not_open = ""
    if gate.opened_at is None:
        not_open = f"The {role} gate is not open for sign-off yet."
        waiting = list(waiting)
        if gate.role.key == RoleKey.PROJECT_MANAGER and waiting:
            not_open = (
                "The Project Manager confirms all sign-offs received only after the other six; "
                "still waiting for: " + ", ".join(waiting) + "."
            )
        elif gate.role.key == RoleKey.PROJECT_MANAGER and not qa_proceed:
            not_open = (
                "The QA Lead → DevOps Engineer hand-off has not said “proceed”; "
                "the release cannot be approved."
            )
    state = gate.state
    return {
        "approve": first_no(
            stage_reason(SIGNING_STAGES, stage, "approve a gate"),
            f"The {role} gate is already approved." if state == GateState.APPROVED else "",
            not_open,
        ),
        "reject": first_no(
            stage_reason(REVOKING_STAGES, stage, "reject a gate"),
            not_open,
            f"The {role} gate is already rejected." if state == GateState.REJECTED else "",
        ),
        "revoke": first_no(
            stage_reason(REVOKING_STAGES, stage, "revoke an approval"),
            ""
            if state == GateState.APPROVED
            else f"Only an approval can be revoked; the {role} gate is "
            f"{gate.get_state_display().lower()}.",
        ),
    }


# --- Checklist ---------------------------------------------------------------------------------

_ITEM_VERBS = {"done": "tick", "not_applicable": "mark not applicable", "reopen": "reopen"}


def item_action(item: ChecklistItem, action: str, *, stage: str, held: Iterable[str]) -> Verdict:
    """done, not_applicable or reopen, for the item's owner in the item's phase."""
    t = item.template
    verb = _ITEM_VERBS[action]
    if t.owner.key not in set(held):
        return forbid(f"Only the {t.owner.name} of this release may {verb} “{t.text}”.")
    if t.kind != ChecklistKind.MANUAL:
        source = (
            "its sign-off gate" if t.kind == ChecklistKind.GATE else "the lifecycle step it names"
        )
        return no(f"“{t.text}” ticks itself from {source}; nobody ticks it by hand.")
    state_reason = {
        "done": f"“{t.text}” is already done." if item.state == ChecklistState.DONE else "",
        "not_applicable": ""
        if t.optional
        else f"“{t.text}” is required by the guide; it cannot be skipped.",
        "reopen": f"“{t.text}” is already open." if item.state == ChecklistState.OPEN else "",
    }[action]
    return first_no(stage_reason(PHASE_STAGES[t.phase], stage, f"{verb} “{t.text}”"), state_reason)


def item_actions(item: ChecklistItem, *, stage: str, held: Iterable[str]) -> dict[str, Verdict]:
    held = set(held)
    return {a: item_action(item, a, stage=stage, held=held) for a in _ITEM_VERBS}


# --- Hand-offs ---------------------------------------------------------------------------------


def handoff_actions(handoff: Handoff, *, stage: str, held: Iterable[str]) -> dict[str, Verdict]:
    """send (the sending role; the QA gate hand-off may send a new decision) and acknowledge."""
    t, held = handoff.template, set(held)
    if t.from_role.key not in held:
        send = forbid(f"Only the {t.from_role.name} of this release may send this hand-off.")
    else:
        send = first_no(
            stage_reason(HANDOFF_PHASE_STAGES[t.phase], stage, f"send the {t} hand-off"),
            f"The {t} hand-off was already sent."
            if not t.is_gate and handoff.state != HandoffState.PENDING
            else "",
        )
    if t.to_role.key not in held:
        acknowledge = forbid(
            f"Only the {t.to_role.name} of this release may acknowledge this hand-off."
        )
    else:
        acknowledge = first_no(
            stage_reason(ACKNOWLEDGE_PHASE_STAGES[t.phase], stage, f"acknowledge the {t} hand-off"),
            ""
            if handoff.state == HandoffState.SENT
            else f"The {t} hand-off is {handoff.get_state_display().lower()}; "
            "only a sent hand-off can be acknowledged.",
        )
    return {"send": send, "acknowledge": acknowledge}


# --- Incidents ---------------------------------------------------------------------------------


def incident_actions(
    incident: Incident, release_verdicts: dict[str, Verdict]
) -> dict[str, Verdict]:
    """roll_back and resolve: the release-level verdict, then the incident's own state."""
    resolved = incident.state != IncidentState.OPEN
    roll_back = release_verdicts["roll_back"]
    if roll_back:
        roll_back = first_no(
            "This incident is resolved; open a new one to roll back." if resolved else "",
            "This incident already led to a rollback." if incident.rolled_back_to_id else "",
        )
    resolve = release_verdicts["resolve_incident"]
    if resolve:
        resolve = first_no("This incident is already resolved." if resolved else "")
    return {"roll_back": roll_back, "resolve": resolve}


def require_release_action(user: Any, release: Release, action: str) -> None:
    """For services: the release-level verdict for `user`, raised if it does not allow."""
    require(release_action(user, release, action, permissions.held_role_keys(user, release)))
