"""A person's decision on a gate: approve, reject, revoke."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from releases import lifecycle, notices
from releases.locks import lock_child
from releases.models import Release, Stage
from releases.text import clean_field

from .. import permissions, selectors
from ..models import GateState, SignOff
from ..selectors import FINAL_GATE
from .duties import ask_final_decision, confirm_pre_release, reopen_pre_release
from .retroactive import decided_after_deploy
from .state import _set_state
from .sync import _after_change, _sync_checklist

MAX_COMMENT = 5000


def _lock_and_check(
    gate_id: int, actor: AbstractBaseUser, revision: int | None, action: str
) -> tuple[Release, SignOff, AbstractBaseUser | None]:
    """Lock the gate (its release first); refuse what `actor` may not decide now: not their
    gate is a 403 first, then a form drawn before a change, then the rest. Also returns the
    person `actor` decides for by delegation, if any."""
    release, gate = lock_child(SignOff, gate_id, what="sign-off gate", related=("role",))
    gate.release = release
    verdict = selectors.gate_decisions(release, gate, actor)[action]
    if verdict.forbidden:
        lifecycle.require(verdict)
    _check_revision(gate, revision)
    lifecycle.require(verdict)
    return release, gate, permissions.signing_for(actor, gate)


def _check_revision(gate: SignOff, revision: int | None) -> None:
    if revision is not None and revision != gate.revision:
        raise Refused(
            f"The {gate.role.name} gate changed while you were reading it "
            f"(it is now {gate.get_state_display().lower()}). Review it again before deciding."
        )


@transaction.atomic
def gate_approve(
    *, gate_id: int, actor: AbstractBaseUser, comment: str = "", revision: int | None = None
) -> SignOff:
    release, gate, delegated_by = _lock_and_check(gate_id, actor, revision, "approve")
    comment = clean_field(
        comment, field="comment", label="The comment", required=False, max_length=MAX_COMMENT
    )
    now = timezone.now()
    event = _set_state(
        gate,
        state=GateState.APPROVED,
        actor=actor,
        now=now,
        comment=comment,
        verb="gate.approved",
        delegated_by=delegated_by,
    )
    confirm_pre_release(release, gate, actor=actor, now=now)
    if release.stage == Stage.DEPLOYED:  # a retroactive gate, signed after the deploy
        decided_after_deploy(release, gate, event)
    elif gate.role.key == FINAL_GATE:
        event = lifecycle.move(
            release, "approve", actor=actor, now=now, comment="All sign-offs received."
        )
        notices.release_approved(release, event)
        ask_final_decision(release, event)
        _sync_checklist(release)
    else:
        _after_change(release, actor=actor, now=now)
    return gate


@transaction.atomic
def gate_reject(
    *, gate_id: int, actor: AbstractBaseUser, reason: str, revision: int | None = None
) -> SignOff:
    release, gate, delegated_by = _lock_and_check(gate_id, actor, revision, "reject")
    reason = clean_field(
        reason,
        field="comment",
        label="A reason for rejecting",
        required=True,
        max_length=MAX_COMMENT,
    )
    now = timezone.now()
    event = _set_state(
        gate,
        state=GateState.REJECTED,
        actor=actor,
        now=now,
        comment=reason,
        verb="gate.rejected",
        delegated_by=delegated_by,
    )
    reopen_pre_release(release, gate, actor=actor, why=f"The {gate.role.name} gate was rejected.")
    if release.stage == Stage.DEPLOYED:  # a retroactive gate said no to what is in production
        decided_after_deploy(release, gate, event)
        return gate
    reopened = _after_change(release, actor=actor, now=now)
    notices.gate_unapproved(gate, event, reopened=reopened is not None)
    return gate


@transaction.atomic
def gate_revoke(
    *, gate_id: int, actor: AbstractBaseUser, comment: str = "", revision: int | None = None
) -> SignOff:
    release, gate, delegated_by = _lock_and_check(gate_id, actor, revision, "revoke")
    comment = clean_field(
        comment, field="comment", label="The comment", required=False, max_length=MAX_COMMENT
    )
    now = timezone.now()
    event = _set_state(
        gate,
        state=GateState.PENDING,
        actor=actor,
        now=now,
        comment=comment,
        verb="gate.revoked",
        delegated_by=delegated_by,
    )
    reopen_pre_release(
        release, gate, actor=actor, why=f"The {gate.role.name} approval was revoked."
    )
    reopened = _after_change(release, actor=actor, now=now)
    notices.gate_unapproved(gate, event, reopened=reopened is not None)
    return gate
