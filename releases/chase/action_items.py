"""Incident action items past their due date: the owner is reminded once on (or after) the due
date, and the Project Manager of the incident's release is told once when the item is overdue
by `settings.ACTION_ITEM_ESCALATE_AFTER`.

An item is due for the whole of its due date (in the display time zone) and overdue from the
start of the day after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import notices
from ..models import ActionItem, ActionItemState


def remind_action_items(now: datetime | None = None) -> dict[str, int]:
    """Returns how many notices each step queued."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Overdue since the start of the day after the due date, by the escalation delay or more:
    # due_on + 1 day + delay <= now, i.e. due_on < the date `delay` ago.
    escalate_before = timezone.localdate(now - settings.ACTION_ITEM_ESCALATE_AFTER)
    return {
        "action_item_reminders": _sweep(
            Q(due_on__lte=today), "reminded_at", now, notices.action_item_due
        ),
        "action_item_escalations": _sweep(
            Q(due_on__lt=escalate_before), "escalated_at", now, notices.action_item_overdue
        ),
    }


def _sweep(when: Q, claim_field: str, now: datetime, tell: Callable[[ActionItem], int]) -> int:
    waiting = ActionItem.objects.filter(when, state=ActionItemState.OPEN)
    ids = list(waiting.filter(**{f"{claim_field}__isnull": True}).values_list("pk", flat=True))
    sent = 0
    for pk in ids:
        with transaction.atomic():
            # The claim: only one worker's UPDATE finds the field still empty, and only while
            # the item is still open (done or deferred since the list was read: nobody is told).
            if not waiting.filter(pk=pk, **{f"{claim_field}__isnull": True}).update(
                **{claim_field: now}
            ):
                continue
            item = ActionItem.objects.select_related(
                "owner", "created_by", "incident__release"
            ).get(pk=pk)
            sent += tell(item)
    return sent
