"""Delegations in the sweeps: the delegate is told once when the period begins, and the gate
reminder digests (`reminders.send_reminders`) go to whoever can act, delegates included.

A periodic sweep rather than a countdown task: a start weeks ahead outlives any broker's
visibility timeout, and a lost worker must not lose the notice. A delegation created with a
start in the past or now is told at once by the service (which sets `announced_at`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from octoacme.names import display_name
from signoffs.models import SignOff

from .. import notices, permissions
from ..models import Delegation, RoleAssignment
from .owed import gates_owed_by


def announce_delegations(now: datetime | None = None) -> dict[str, int]:
    """Returns how many delegates were told."""
    now = now or timezone.now()
    # Still in force: one cancelled, or over before the sweep came round, tells nobody.
    due = Delegation.objects.filter(
        announced_at__isnull=True, cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now
    )
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            # The claim: only one worker's UPDATE finds `announced_at` still empty.
            if not due.filter(pk=pk).update(announced_at=now):
                continue
            delegation = Delegation.objects.select_related("person", "delegate").get(pk=pk)
            sent += notices.delegation_started(delegation)
    return {"delegations_announced": sent}


def delegates_of(people: list[int], now: datetime) -> set[int]:
    """The people who act now for any of `people` (by delegation)."""
    if not people:
        return set()
    givers = permissions.delegations_in_force(now).filter(person_id__in=people)
    return set(givers.values_list("delegate_id", flat=True))


def add_delegated_gates(
    owed: dict[int, list[dict[str, str]]],
    due: QuerySet[SignOff],
    claimed: set[int],
    url: Callable[[int], str],
    now: datetime,
    *,
    text: Callable[[str, str, str, datetime, datetime | None], str],
) -> None:
    """Add to each claimed delegate's digest the gates owed by the people they act for now
    ("for <person>"), except on releases where the delegate holds a role of their own
    (`permissions.roles_held`: they act only in that one there)."""
    giving: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for d in (
        permissions.delegations_in_force(now)
        .filter(delegate_id__in=claimed)
        .select_related("person")
    ):
        giving[d.person_id].add(d.delegate_id)
        names[d.person_id] = display_name(d.person)
    if not giving:
        return
    delegates = {uid for uids in giving.values() for uid in uids}
    own = set()
    for release_id, holder_id, backup_id in (
        RoleAssignment.objects.filter(Q(holder_id__in=delegates) | Q(backup_id__in=delegates))
        .filter(Exists(due.filter(release=OuterRef("release"))))
        .values_list("release_id", "holder_id", "backup_id")
    ):
        own |= {(release_id, holder_id), (release_id, backup_id)}
    rows = gates_owed_by(due, giving)
    listed: set[tuple[int, int]] = set()
    for holder_id, backup_id, release_id, gate_id, name, version, role, opened, due_at in rows:
        for person in (holder_id, backup_id):
            for uid in giving.get(person, ()):
                if (release_id, uid) in own or (uid, gate_id) in listed:
                    continue
                listed.add((uid, gate_id))
                line = text(role, name, version, opened, due_at)
                owed[uid].append({"text": f"{line}, for {names[person]}", "url": url(gate_id)})
