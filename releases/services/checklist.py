"""The guide's checklist: its owner ticks an item, marks it not applicable or reopens it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from .. import audit, lifecycle, permissions
from ..locks import lock_child
from ..models import (
    ChecklistItem,
    ChecklistState,
    Release,
)
from ..text import clean_field


def _require(release: Release, item: ChecklistItem, actor: AbstractBaseUser, action: str) -> None:
    held = permissions.held_role_keys(actor, release)
    lifecycle.require(lifecycle.item_action(item, action, stage=release.stage, held=held))


@transaction.atomic
def checklist_complete(*, item_id: int, actor: AbstractBaseUser) -> ChecklistItem:
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "done")
    return _set_item(release, item, ChecklistState.DONE, actor=actor, reason="")


@transaction.atomic
def checklist_mark_not_applicable(
    *, item_id: int, actor: AbstractBaseUser, reason: str
) -> ChecklistItem:
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "not_applicable")
    reason = clean_field(
        reason, field="reason", label="The reason", required=True, max_length=500, line=True
    )
    return _set_item(release, item, ChecklistState.NOT_APPLICABLE, actor=actor, reason=reason)


@transaction.atomic
def checklist_reopen(*, item_id: int, actor: AbstractBaseUser) -> ChecklistItem:
    release, item = lock_child(
        ChecklistItem, item_id, what="checklist item", related=("template__owner",)
    )
    _require(release, item, actor, "reopen")
    return _set_item(release, item, ChecklistState.OPEN, actor=actor, reason="")


def _set_item(
    release: Release, item: ChecklistItem, state: str, *, actor: AbstractBaseUser, reason: str
) -> ChecklistItem:
    from_state = item.state
    item.state, item.reason = state, reason
    done = state != ChecklistState.OPEN
    item.done_by, item.done_at = (actor, timezone.now()) if done else (None, None)
    item.save(update_fields=["state", "reason", "done_by", "done_at"])
    audit.record(
        release=release,
        actor=actor,
        verb="checklist." + state,
        subject=item.template.text,
        from_state=from_state,
        to_state=state,
        comment=reason,
    )
    return item
