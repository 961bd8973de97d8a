"""Reads about gates that pages and services share."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from releases import lifecycle
from releases.models import Handoff, HandoffDecision, HandoffState, Release, RoleKey

from . import permissions
from .models import GateState, SignOff

FINAL_GATE = RoleKey.PROJECT_MANAGER
# The QA Lead -> DevOps hand-off says "proceed" once its receiver, the DevOps Engineer, has
# answered it so (a new hand-off from the QA Lead withdraws that answer).
PROCEED = {
    "state__in": (HandoffState.ACKNOWLEDGED,),
    "decision": HandoffDecision.PROCEED,
}


def qa_says_proceed(release: Release) -> bool:
    return Handoff.objects.filter(release=release, template__is_gate=True, **PROCEED).exists()


def role_gates(release: Release) -> list[SignOff]:
    return [
        g
        for g in SignOff.objects.filter(release=release).select_related("role")
        if g.role.key != FINAL_GATE
    ]


def before_deploy(gate: SignOff) -> bool:
    """A role gate the Project Manager's confirmation waits for: all six under the guide, the
    ones an expedited policy keeps before the deploy otherwise (the rest sign after it)."""
    return gate.role.key != FINAL_GATE and not gate.retroactive


def gate_decisions(
    release: Release,
    gate: SignOff,
    user: AbstractBaseUser | AnonymousUser,
    *,
    gates: list[SignOff] | None = None,
    handoffs: list[Handoff] | None = None,
    may_sign: bool | None = None,
) -> dict[str, lifecycle.Verdict]:
    """What `user` may decide on `gate` now (approve, reject, revoke), and why not.

    A page that has the release's gates and QA hand-off loaded, and has checked the user's
    grant, passes them in (no query).
    """
    waiting: list[str] = []
    qa_proceed = True
    if gate.role.key == FINAL_GATE and gate.opened_at is None:
        if gates is None:
            gates = role_gates(release)
        waiting = [g.role.name for g in gates if before_deploy(g) and g.state != GateState.APPROVED]
        if handoffs is None:
            qa_proceed = qa_says_proceed(release)
        else:
            qa_proceed = any(says_proceed(h) for h in handoffs)
    return lifecycle.gate_actions(
        gate,
        stage=release.stage,
        may_sign=permissions.can_sign(user, gate) if may_sign is None else may_sign,
        waiting=waiting,
        qa_proceed=qa_proceed,
    )


def says_proceed(handoff: Handoff) -> bool:
    """`qa_says_proceed` for a hand-off already loaded (the same rule, no query)."""
    return (
        handoff.template.is_gate
        and handoff.state in PROCEED["state__in"]
        and handoff.decision == PROCEED["decision"]
    )
