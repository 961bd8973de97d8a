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
    ActionItem,
    ActionItemState,
    ChecklistItem,
    ChecklistKind,
    ChecklistState,
    Duty,
    DutyPhase,
    DutyState,
    Handoff,
    HandoffState,
    Incident,
    IncidentState,
    Release,
    RoleKey,
    Stage,
)
from . import evidence
from .moves import stage_reason
from .tables import (
    ACKNOWLEDGE_PHASE_STAGES,
    DUTY_PHASE_STAGES,
    FINAL_DECISION_STAGES,
    HANDOFF_PHASE_STAGES,
    PHASE_STAGES,
    RELEASE_ACTIONS,
    RETROACTIVE_SIGNING_STAGES,
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
    if (
        action == "open_incident"
        and release.stage == Stage.APPROVED
        and release.deploy_failed_at is None
    ):
        return no(
            "An approved release has an incident only once a production deploy of it failed; "
            "record the failed deploy instead."
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
    retroactive = getattr(gate, "retroactive", False)
    signing = RETROACTIVE_SIGNING_STAGES if retroactive else SIGNING_STAGES
    rejecting = RETROACTIVE_SIGNING_STAGES if retroactive else REVOKING_STAGES
    # After the deploy nothing is revoked: an approval given then is final, like every other.
    stands = (
        f"The {role} gate was approved; after the deploy an approval stands."
        if stage not in REVOKING_STAGES and state == GateState.APPROVED
        else ""
    )
    return {
        "approve": first_no(
            stage_reason(signing, stage, "approve a gate"),
            f"The {role} gate is already approved." if state == GateState.APPROVED else "",
            not_open,
        ),
        "reject": first_no(
            stage_reason(rejecting, stage, "reject a gate"),
            not_open,
            f"The {role} gate is already rejected." if state == GateState.REJECTED else "",
            stands,
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


def item_action(
    item: ChecklistItem, action: str, *, release: Release, held: Iterable[str]
) -> Verdict:
    """done, not_applicable or reopen, for the item's owner in the item's phase. An item tied
    to release fields (`tables.ITEM_FIELDS`) is ticked only once they are filled in; it may
    still be marked not applicable."""
    t = item.template
    verb = _ITEM_VERBS[action]
    if t.owner.key not in set(held):
        return forbid(f"Only the {t.owner.name} of this release may {verb} “{t.text}”.")
    if t.kind != ChecklistKind.MANUAL:
        source = (
            "its sign-off gate" if t.kind == ChecklistKind.GATE else "the lifecycle step it names"
        )
        return no(f"“{t.text}” ticks itself from {source}; nobody ticks it by hand.")
    missing = evidence.missing_fields(item, release) if action == "done" else []
    state_reason = {
        "done": f"“{t.text}” is already done." if item.state == ChecklistState.DONE else "",
        "not_applicable": ""
        if t.optional
        else f"“{t.text}” is required by the guide; it cannot be skipped.",
        "reopen": f"“{t.text}” is already open." if item.state == ChecklistState.OPEN else "",
    }[action]
    return first_no(
        stage_reason(PHASE_STAGES[t.phase], release.stage, f"{verb} “{t.text}”"),
        state_reason,
        # Said in words the edit form uses, so the person finds the field to fill in.
        f"Fill in {' and '.join(m.label for m in missing)} on the release before ticking "
        f"“{t.text}”."
        if missing
        else "",
    )


def item_actions(
    item: ChecklistItem, *, release: Release, held: Iterable[str]
) -> dict[str, Verdict]:
    held = set(held)
    return {a: item_action(item, a, release=release, held=held) for a in _ITEM_VERBS}


# --- Hand-offs ---------------------------------------------------------------------------------


def handoff_actions(
    handoff: Handoff, *, stage: str, held: Iterable[str], user_id: int | None
) -> dict[str, Verdict]:
    """send (the sending role) and acknowledge (the receiving role, recording the expected
    action; for the QA Lead's hand-off, the DevOps Engineer's "proceed" or "hold", which they
    may change until the deploy: put a hold on, lift it)."""
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
    verb = "record proceed or hold on" if t.is_gate else "acknowledge"
    answerable = (
        (HandoffState.SENT, HandoffState.ACKNOWLEDGED) if t.is_gate else (HandoffState.SENT,)
    )
    if t.to_role.key not in held:
        acknowledge = forbid(f"Only the {t.to_role.name} of this release may {verb} this hand-off.")
    else:
        acknowledge = first_no(
            stage_reason(ACKNOWLEDGE_PHASE_STAGES[t.phase], stage, f"{verb} the {t} hand-off"),
            ""
            if handoff.state in answerable
            else f"The {t} hand-off is {handoff.get_state_display().lower()}; "
            f"only a sent hand-off can be {'answered' if t.is_gate else 'acknowledged'}.",
            # Someone holding both roles would otherwise confirm their own hand-off.
            f"You sent the {t} hand-off; its receiver, another {t.to_role.name}, answers it."
            if user_id is not None and handoff.sent_by_id == user_id
            else "",
        )
    return {"send": send, "acknowledge": acknowledge}


# --- Duties ------------------------------------------------------------------------------------


def duty_actions(duty: Duty, *, stage: str, held: Iterable[str]) -> dict[str, Verdict]:
    """done: the role's holder or backup, in the duty's phase."""
    role = duty.role
    if role.key not in set(held):
        return {"done": forbid(f"Only the {role.name} of this release may do “{duty.text}”.")}
    if duty.state == DutyState.DONE:
        return {"done": no(f"“{duty.text}” is already done.")}
    if duty.phase == DutyPhase.PRE_RELEASE:
        return {"done": no(f"“{duty.text}” is confirmed by approving the {role.name} gate.")}
    final = duty.phase == DutyPhase.RELEASE_DAY and role.key == RoleKey.PRODUCT_MANAGER
    stages = FINAL_DECISION_STAGES if final else DUTY_PHASE_STAGES[duty.phase]
    label = "record the final release decision" if final else f"mark “{duty.text}” done"
    return {"done": first_no(stage_reason(stages, stage, label))}


# --- Incidents ---------------------------------------------------------------------------------


def incident_actions(
    incident: Incident,
    release_verdicts: dict[str, Verdict],
    *,
    open_items: int = 0,
    has_known_good: bool = True,
) -> dict[str, Verdict]:
    """The playbook's steps on one incident: the release-level verdict (who, which stage),
    then the incident's own state. `open_items`: its action items neither done nor deferred;
    `has_known_good`: whether an earlier release reached production and was not rolled back
    (the first release has nothing to roll back to: it is mitigated or fixed forward)."""
    resolved = incident.state != IncidentState.OPEN
    was_resolved = "This incident is already resolved." if resolved else ""
    roll_back = release_verdicts["roll_back"]
    if roll_back:
        roll_back = first_no(
            "This incident is resolved; open a new one to roll back." if resolved else "",
            "This incident already led to a rollback." if incident.rolled_back_to_id else "",
            ""
            if has_known_good
            else "There is no earlier release that reached production and was not rolled "
            "back, so there is nothing known-good to roll back to. Record a mitigation, or "
            "fix forward with a patch release.",
        )
    work = release_verdicts["resolve_incident"]
    restored = (
        incident.rolled_back_at or incident.mitigated_at or getattr(incident, "fix_deployed", False)
    )
    fix_forward = release_verdicts["fix_forward"]
    if fix_forward:
        fix_forward = first_no(
            was_resolved,
            "A patch release was already created from this incident."
            if incident.fixed_forward_at
            else "",
        )
    review = first_no(
        "" if resolved else "Resolve the incident first; its review closes after that.",
        "The review is already closed." if incident.review_closed_at else "",
        f"{open_items} action item(s) are neither done nor deferred." if open_items else "",
    )
    return {
        "roll_back": roll_back,
        "fix_forward": fix_forward,
        "mitigate": work
        and first_no(
            was_resolved, "Mitigation is already recorded." if incident.mitigated_at else ""
        ),
        "resolve": work
        and first_no(
            was_resolved,
            ""
            if restored
            else "Restore service first: record a rollback, a mitigation, or deploy the "
            "fix-forward patch.",
        ),
        "add_item": work and first_no("The review is closed." if incident.review_closed_at else ""),
        "close_review": work and review,
    }


# --- Action items ------------------------------------------------------------------------------


def action_item_actions(
    item: ActionItem, *, user_id: int | None, may_triage: Verdict
) -> dict[str, Verdict]:
    """done and defer: the item's owner, or whoever may work on the incident (DevOps, PM)."""
    if user_id != item.owner_id and not may_triage:
        refusal = forbid(
            "Only the owner of this action item, or the DevOps Engineer or Project Manager of "
            "the release, may close it."
        )
        return {"done": refusal, "defer": refusal}
    closed = (
        f"“{item.text}” is already {item.get_state_display().lower()}."
        if item.state != ActionItemState.OPEN
        else ""
    )
    return {"done": first_no(closed), "defer": first_no(closed)}


def require_release_action(user: Any, release: Release, action: str) -> None:
    """For services: the release-level verdict for `user`, raised if it does not allow."""
    require(release_action(user, release, action, permissions.held_role_keys(user, release)))
