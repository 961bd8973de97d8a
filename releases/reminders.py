"""Periodic sweeps over due times stored in the database: reminder digests, escalations and
the 24-48 h post-release follow-ups. Each is safe to run twice or on two workers at once:
a throttle row or a follow-up row is claimed with a conditional UPDATE before anything is
written, and only the claimant writes notices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from notifications import webhooks
from notifications.outbox import Message, Recipient, absolute, queue
from notifications.throttles import claim_many
from signoffs.models import GateState, SignOff

from . import events
from .chase.delegations import add_delegated_gates, delegates_of
from .chase.owed import gates_owed_by
from .models import (
    Release,
    RoleAssignment,
    RoleKey,
    Stage,
)
from .timefmt import mail_time


def _url(name: str, anchor: str = "") -> Callable[[int], str]:
    # One reverse() for the whole sweep instead of one per gate (100,000 of them).
    pattern = absolute(reverse(name, args=[987654321]) + anchor)
    return lambda pk: pattern.replace("987654321", str(pk))


def _users(ids: Iterable[int]) -> dict[int, Any]:
    User = get_user_model()
    return {
        u.pk: u
        for u in User.objects.filter(pk__in=list(ids), is_active=True)
        .exclude(email="")
        .only("id", "username", "email", "first_name", "last_name", "is_active")
    }


# People per batch: each batch is one transaction whose rows and rendered emails are all
# that the sweep holds in memory, so 100,000 pending gates cost what 200 people's do.
PEOPLE_PER_BATCH = 200


def _people(assignments: QuerySet[RoleAssignment]) -> list[int]:
    holders = assignments.filter(holder__isnull=False).values_list("holder_id", flat=True)
    backups = assignments.filter(backup__isnull=False).values_list("backup_id", flat=True)
    return sorted(set(holders.distinct()) | set(backups.distinct()))


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), PEOPLE_PER_BATCH):
        yield ids[start : start + PEOPLE_PER_BATCH]


# Gates someone owes now: in staging the ones the deploy waits for; after the deploy the ones
# an expedited policy lets sign retroactively (before it, they hold nothing up).
OWED = Q(release__stage=Stage.STAGING, retroactive=False) | Q(
    release__stage=Stage.DEPLOYED, retroactive=True
)


def _owed_text(role: str, name: str, version: str, opened: datetime, due: datetime | None) -> str:
    if due is not None:
        return f"{role} for {name} ({version}) (sign after the deploy, due {mail_time(due)})"
    return f"{role} for {name} ({version}) (open since {mail_time(opened)})"


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """One digest per person per interval listing all their pending gates; then escalations.

    Works through the people who owe a gate in batches, each in its own transaction, on
    plain tuples: 100,000 pending gates cost a few queries per batch, not one per gate.
    """
    now = now or timezone.now()
    due = SignOff.objects.filter(
        OWED,
        state=GateState.PENDING,
        opened_at__lte=now - settings.SIGNOFF_REMINDER_INTERVAL,
    )
    owing = RoleAssignment.objects.filter(
        Exists(due.filter(release=OuterRef("release"), role=OuterRef("role")))
    )
    url = _url("gate-detail")
    # Whoever can act is reminded: the holders and backups, and their delegates now.
    people = _people(owing)
    people = sorted(set(people) | delegates_of(people, now))
    digests = sum(_send_digests(batch, due, url, now) for batch in _batches(people))
    return {"digests": digests, "escalations": escalate(now)}


def _claim_people(name: str, batch: list[int], now: datetime) -> tuple[dict[int, Any], set[int]]:
    """The batch's reachable users, and those of them whose `name` throttle this run claimed."""
    users = _users(batch)
    keys = claim_many(
        (f"{name}:{uid}" for uid in users), now=now, interval=settings.SIGNOFF_REMINDER_INTERVAL
    )
    return users, {int(key.split(":")[1]) for key in keys}


def _queue_lists(
    name: str,
    kind: str,
    users: dict[int, Any],
    lists: dict[int, list[dict[str, str]]],
    *,
    subject: Callable[[int], str],
    headline: str,
    now: datetime,
) -> int:
    """One email per person whose list is not empty; returns how many."""
    messages = [
        Message(
            key=f"{name}:{uid}:{now.isoformat()}:u{uid}",
            kind=kind,
            to=Recipient(users[uid].email, users[uid]),
            subject=subject(len(items)),
            context={"headline": headline, "items": items},
        )
        for uid, items in sorted(lists.items())
        if items
    ]
    queue(messages)
    return len(messages)


@transaction.atomic
def _send_digests(
    batch: list[int], due: QuerySet[SignOff], url: Callable[[int], str], now: datetime
) -> int:
    users, claimed = _claim_people("digest", batch, now)
    if not claimed:
        return 0
    rows = gates_owed_by(due, claimed)
    owed: dict[int, list[dict[str, str]]] = defaultdict(list)
    for holder_id, backup_id, _release_id, gate_id, name, version, role, opened, due_at in rows:
        item = {"text": _owed_text(role, name, version, opened, due_at), "url": url(gate_id)}
        for uid in {holder_id, backup_id} & claimed:
            owed[uid].append(item)
    add_delegated_gates(owed, due, claimed, url, now, text=_owed_text)
    sent = _queue_lists(
        "digest",
        "reminder_digest",
        users,
        owed,
        subject=lambda n: f"Reminder: {n} sign-off(s) waiting for you",
        headline="These gates are still waiting for your decision:",
        now=now,
    )
    # A reminder counts toward escalation on the gates its recipient holds.
    held = RoleAssignment.objects.filter(
        release=OuterRef("release"), role=OuterRef("role"), holder_id__in=claimed
    )
    due.filter(Exists(held)).update(reminders_sent=F("reminders_sent") + 1)
    return sent


def escalate(now: datetime) -> int:
    """Tell each Project Manager, in one email per interval, which of their gates are late:
    escalated after enough reminders, because the deployment window is less than a day off,
    or, for a gate signed after the deploy (an expedited policy), because it is past due.
    Returns how many people were told."""
    reminded = Q(reminders_sent__gte=settings.SIGNOFF_REMINDER_ESCALATE_AFTER)
    late = SignOff.objects.filter(state=GateState.PENDING, opened_at__isnull=False).filter(
        Q(release__stage=Stage.STAGING, retroactive=False)
        & (reminded | Q(release__window_start__lte=now + settings.SIGNOFF_ESCALATE_WINDOW))
        # A retroactive gate is late once past its due time after the deploy.
        | Q(release__stage=Stage.DEPLOYED, retroactive=True) & (reminded | Q(due_at__lte=now))
    )
    _announce_escalations(late, now)
    managing = RoleAssignment.objects.filter(
        role__key=RoleKey.PROJECT_MANAGER, release__stage__in=(Stage.STAGING, Stage.DEPLOYED)
    ).filter(Exists(late.filter(release=OuterRef("release"))))
    return sum(
        _send_escalations(batch, managing, late, now) for batch in _batches(_people(managing))
    )


@transaction.atomic
def _announce_escalations(late: QuerySet[SignOff], now: datetime) -> None:
    """Chat hears of each release with late gates once per reminder interval (webhooks, #15):
    per release, not per Project Manager as the emails go. Two queries for all the releases
    (not one each), and none at all when no endpoint listens."""
    if not webhooks.wanted("escalation"):
        return
    ids = set(late.values_list("release_id", flat=True))
    keys = claim_many(
        (f"webhook-escalate:{pk}" for pk in ids),
        now=now,
        interval=settings.SIGNOFF_REMINDER_INTERVAL,
    )
    claimed = [int(key.rsplit(":", 1)[1]) for key in keys]
    roles: dict[int, list[str]] = defaultdict(list)
    for release_id, role in (
        late.filter(release_id__in=claimed)
        .order_by("release_id", "role__position")
        .values_list("release_id", "role__name")
    ):
        roles[release_id].append(role)
    for release in Release.objects.filter(pk__in=claimed).order_by("pk"):
        events.escalation(
            release,
            f"Sign-offs late on {release}: {', '.join(roles[release.pk])}.",
            reason="signoffs_late",
            gates=roles[release.pk],
        )


@transaction.atomic
def _send_escalations(
    batch: list[int], managing: QuerySet[RoleAssignment], late: QuerySet[SignOff], now: datetime
) -> int:
    users, claimed = _claim_people("escalate", batch, now)
    if not claimed:
        return 0
    mine = managing.filter(Q(holder_id__in=claimed) | Q(backup_id__in=claimed))
    managers: dict[int, set[int]] = defaultdict(set)
    # Releases whose Project Manager (the holder, not a backup) is told in this batch.
    held: set[int] = set()
    for release_id, holder_id, backup_id in mine.values_list(
        "release_id", "holder_id", "backup_id"
    ):
        managers[release_id] |= {holder_id, backup_id} & claimed
        if holder_id in claimed:
            held.add(release_id)
    url = _url("release-detail", "#gates")
    items: dict[int, list[dict[str, str]]] = defaultdict(list)
    counted: list[int] = []
    for gate_id, release_id, role, sent, name, version, window_start, due in (
        late.filter(Exists(mine.filter(release=OuterRef("release"))))
        .order_by("release__window_start", "release_id", "role__position")
        .values_list(
            "pk",
            "release_id",
            "role__name",
            "reminders_sent",
            "release__name",
            "release__version",
            "release__window_start",
            "due_at",
        )
    ):
        window = f"; window opens {mail_time(window_start)}" if window_start else ""
        if due is not None:
            window = f"; signed after the deploy, due {mail_time(due)}"
        item = {
            "text": f"{name} ({version}): {role} ({sent} reminder(s) sent{window})",
            "url": url(release_id),
        }
        for uid in managers[release_id]:
            items[uid].append(item)
        if release_id in held:
            counted.append(gate_id)
    # An escalation counts on each late gate of the releases its recipients hold the Project
    # Manager role on (as reminders count on the gates their recipients hold; Insights reads
    # it). By the ids just read: an UPDATE over `late` again cost the 100,000-gate sweep 30 s.
    SignOff.objects.filter(pk__in=counted).update(escalations_sent=F("escalations_sent") + 1)
    return _queue_lists(
        "escalate",
        "escalation",
        users,
        items,
        subject=lambda n: f"Escalation: {n} sign-off(s) late on releases you manage",
        headline="As Project Manager, you may want to chase these pending sign-offs:",
        now=now,
    )
