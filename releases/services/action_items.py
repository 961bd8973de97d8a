"""An incident's action items (owner, due date, state) and its post-incident review, which
closes only when every item is done or deferred with a reason."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from octoacme.errors import Refused
from octoacme.names import display_name

from .. import audit, lifecycle, notices, permissions
from ..locks import begin_write, lock_child
from ..models import ActionItem, ActionItemState, Incident, Release
from ..text import clean_field
from .incidents import incident_verdicts


@transaction.atomic
def action_item_add(
    *,
    incident_id: int,
    actor: AbstractBaseUser,
    text: str,
    owner_id: int | None,
    due_on: date | None,
) -> ActionItem:
    """Triage: one piece of follow-up work, owned by an active user, due on a date."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(incident_verdicts(actor, release, incident)["add_item"])
    text = clean_field(
        text, field="text", label="The action item", required=True, max_length=300, line=True
    )
    owner = (
        get_user_model().objects.filter(pk=owner_id, is_active=True).first()
        if owner_id is not None
        else None
    )
    if owner is None:
        raise ValidationError(
            {"owner": "Choose the person who owns this action item (an active user)."}
        )
    if due_on is None:
        raise ValidationError({"due_on": "Give the action item a due date."})
    if due_on < timezone.localdate():
        raise ValidationError({"due_on": "The due date is in the past; choose today or later."})
    item = ActionItem.objects.create(
        incident=incident, text=text, owner=owner, due_on=due_on, created_by=actor
    )
    event = audit.record(
        release=release,
        actor=actor,
        verb="action_item.added",
        subject=text,
        to_state=ActionItemState.OPEN,
        comment=f"Owner: {display_name(owner)}; due {due_on:%Y-%m-%d}. Incident: {incident.title}.",
    )
    incident.release = release
    notices.action_item_assigned(item, event)
    return item


@transaction.atomic
def action_item_done(*, item_id: int, actor: AbstractBaseUser, note: str = "") -> ActionItem:
    release, item = _lock_item(item_id)
    lifecycle.require(action_item_verdicts(actor, release, item)["done"])
    note = clean_field(note, field="note", label="The note", required=False, max_length=5000)
    return _close(release, item, actor, ActionItemState.DONE, note)


@transaction.atomic
def action_item_defer(*, item_id: int, actor: AbstractBaseUser, reason: str) -> ActionItem:
    release, item = _lock_item(item_id)
    lifecycle.require(action_item_verdicts(actor, release, item)["defer"])
    reason = clean_field(
        reason, field="reason", label="A reason for deferring", required=True, max_length=5000
    )
    return _close(release, item, actor, ActionItemState.DEFERRED, reason)


def _close(
    release: Release, item: ActionItem, actor: AbstractBaseUser, state: str, note: str
) -> ActionItem:
    item.state, item.note, item.closed_by, item.closed_at = state, note, actor, timezone.now()
    item.save(update_fields=["state", "note", "closed_by", "closed_at"])
    audit.record(
        release=release,
        actor=actor,
        verb=f"action_item.{state}",
        subject=item.text,
        from_state=ActionItemState.OPEN,
        to_state=state,
        comment=note,
    )
    return item


@transaction.atomic
def incident_close_review(*, incident_id: int, actor: AbstractBaseUser) -> Incident:
    """The post-incident review is over: resolved, and no action item left open."""
    release, incident = lock_child(Incident, incident_id, what="incident")
    lifecycle.require(incident_verdicts(actor, release, incident)["close_review"])
    incident.review_closed_by, incident.review_closed_at = actor, timezone.now()
    incident.save(update_fields=["review_closed_by", "review_closed_at"])
    counts = {
        state: incident.items.filter(state=state).count()
        for state in (ActionItemState.DONE, ActionItemState.DEFERRED)
    }
    audit.record(
        release=release,
        actor=actor,
        verb="incident.review_closed",
        subject=incident.title,
        comment=f"Action items: {counts[ActionItemState.DONE]} done, "
        f"{counts[ActionItemState.DEFERRED]} deferred.",
    )
    return incident


def _lock_item(item_id: int) -> tuple[Release, ActionItem]:
    """The app's lock order: the release row of the item's incident first, then the item."""
    begin_write()
    release = (
        Release.objects.select_for_update(of=("self",)).filter(incidents__items__pk=item_id).first()
    )
    if release is None:
        raise Refused("This action item does not exist.")
    item = (
        ActionItem.objects.select_for_update(of=("self",))
        .select_related("incident", "owner")
        .get(pk=item_id)
    )
    return release, item


def action_item_verdicts(
    actor: AbstractBaseUser, release: Release, item: ActionItem
) -> dict[str, lifecycle.Verdict]:
    held = permissions.held_role_keys(actor, release)
    may_triage = lifecycle.release_action(actor, release, "resolve_incident", held)
    return lifecycle.action_item_actions(item, user_id=actor.pk, may_triage=may_triage)
