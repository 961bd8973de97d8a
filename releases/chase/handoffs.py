"""Hand-offs past their due time: whoever it waits on is reminded once when it falls due (the
sender until it is sent, then the receiver), and the Project Manager is told once when it is
overdue.

A separate email rather than a line in the daily reminder digest: the digest goes out at most
once a day per person, and the Project Manager's hand-off to the Customer Success Manager is due
within the hour of the deploy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from notifications.outbox import notify, recipients
from octoacme.names import display_name

from .. import events, lifecycle
from ..models import Handoff, HandoffState, Role, RoleKey
from ..notices.common import release_link, role_people
from ..timefmt import mail_time

# Only while the hand-off can still be answered: a finished release chases nothing.
_ANSWERABLE = reduce(
    or_,
    (
        Q(template__phase=phase, release__stage__in=stages)
        for phase, stages in lifecycle.ACKNOWLEDGE_PHASE_STAGES.items()
    ),
)


def chase_handoffs(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    waiting = Handoff.objects.filter(_ANSWERABLE).exclude(state=HandoffState.ACKNOWLEDGED)
    return {
        "handoff_reminders": _sweep(waiting, "due_at", "reminded_at", now, _remind),
        "handoff_escalations": _sweep(waiting, "overdue_at", "escalated_at", now, _escalate),
    }


def _sweep(
    waiting: object,
    time_field: str,
    claim_field: str,
    now: datetime,
    tell: Callable[[Handoff], int],
) -> int:
    ids = list(
        waiting.filter(**{f"{time_field}__lte": now, f"{claim_field}__isnull": True}).values_list(
            "pk", flat=True
        )
    )
    sent = 0
    for pk in ids:
        with transaction.atomic():
            # The claim: only one worker's UPDATE finds the field still empty.
            if not Handoff.objects.filter(pk=pk, **{f"{claim_field}__isnull": True}).update(
                **{claim_field: now}
            ):
                continue
            handoff = (
                waiting.filter(pk=pk)
                .select_related("release", "template__from_role", "template__to_role")
                .first()
            )
            if handoff is not None:  # Answered since the list was read.
                sent += tell(handoff)
    return sent


def _owing(handoff: Handoff) -> tuple[Role, str]:
    """The role it waits on, and what that role is to do."""
    t = handoff.template
    if handoff.state == HandoffState.PENDING:
        return t.from_role, f"send the {t} hand-off ({t.what.lower()})"
    if t.is_gate:
        return t.to_role, f"record “proceed” or “hold” on the {t} hand-off"
    return t.to_role, f"acknowledge the {t} hand-off ({t.expected_action.lower()})"


def _remind(handoff: Handoff) -> int:
    release = handoff.release
    role, todo = _owing(handoff)
    return notify(
        key=f"handoff:{handoff.pk}:due:{handoff.due_at.isoformat()}",
        kind="handoff_due",
        to=recipients(role_people(release, role.key)),
        subject=f"Reminder: {todo.split(' (')[0]} for {release}",
        release_id=release.pk,
        context={
            "headline": f"It is time to {todo} for {release}: it was due "
            f"{mail_time(handoff.due_at)} ({handoff.template.timing.lower()}).",
            "link": release_link(release, f"handoff-{handoff.pk}"),
            "link_text": "Open the hand-off",
        },
    )


def _escalate(handoff: Handoff) -> int:
    release = handoff.release
    role, todo = _owing(handoff)
    who = ", ".join(sorted({display_name(p) for p in role_people(release, role.key)}))
    # The Project Manager chases late hand-offs; one the Project Manager owes goes to the
    # Product Manager instead, or it would only be a second reminder to the same person.
    above = (
        RoleKey.PRODUCT_MANAGER if role.key == RoleKey.PROJECT_MANAGER else RoleKey.PROJECT_MANAGER
    )
    # Once per overdue time: the sweep's claim on `escalated_at` guards both.
    events.handoff_overdue(handoff, owed_by=role.name)
    return notify(
        key=f"handoff:{handoff.pk}:overdue:{handoff.overdue_at.isoformat()}",
        kind="handoff_overdue",
        to=recipients(role_people(release, above)),
        subject=f"Overdue: {handoff.template} hand-off for {release}",
        release_id=release.pk,
        context={
            "headline": f"As {RoleKey(above).label} of {release}, you may want to chase this: the "
            f"{role.name} ({who or 'nobody holds it'}) has yet to {todo}. It was due "
            f"{mail_time(handoff.due_at)}, overdue since {mail_time(handoff.overdue_at)}.",
            "link": release_link(release, f"handoff-{handoff.pk}"),
            "link_text": "Open the hand-off",
        },
    )
