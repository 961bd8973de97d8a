"""Periodic sweeps over due times stored in the database: reminder digests, escalations and
the 24-48 h post-release follow-ups. Each is safe to run twice or on two workers at once:
a throttle row or a follow-up row is claimed with a conditional UPDATE before anything is
written, and only the claimant writes notices.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from signoffs.models import GateState, SignOff

from . import notices
from .models import (
    FollowUp,
    FollowUpKind,
    HandoffState,
    RoleAssignment,
    RoleKey,
    Stage,
    Throttle,
)
from .outbox import Message, Recipient, absolute, notify, queue, recipients

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def claim_many(keys: Iterable[str], *, now: datetime) -> set[str]:
    """The keys whose interval has passed, claimed for this caller alone (in its transaction).

    Rows another sweep holds right now are skipped rather than waited for; once it commits
    they carry its time and are no longer due, so two sweeps never claim the same key.
    """
    keys = list(keys)
    if not keys:
        return set()
    Throttle.objects.bulk_create(
        [Throttle(key=k, last_at=EPOCH) for k in keys], ignore_conflicts=True, batch_size=5000
    )
    cutoff = now - settings.SIGNOFF_REMINDER_INTERVAL
    due = list(
        Throttle.objects.select_for_update(skip_locked=True)
        .filter(key__in=keys, last_at__lte=cutoff)
        .values_list("pk", "key")
    )
    Throttle.objects.filter(pk__in=[pk for pk, _ in due]).update(last_at=now)
    return {key for _, key in due}


def _gate_url() -> Callable[[int], str]:
    # One reverse() for the whole sweep instead of one per gate (100,000 of them).
    pattern = absolute(reverse("gate-detail", args=[987654321]))
    return lambda pk: pattern.replace("987654321", str(pk))


def _users(ids: Iterable[int]) -> dict[int, Any]:
    User = get_user_model()
    return {
        u.pk: u
        for u in User.objects.filter(pk__in=list(ids), is_active=True)
        .exclude(email="")
        .only("id", "username", "email", "first_name", "last_name", "is_active")
    }


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """One digest per person per interval listing all their pending gates; then escalations.

    Works on plain tuples, so 100,000 pending gates cost a few queries and tens of megabytes,
    not a query and a model instance each. No .iterator(): PostgreSQL plans a server-side
    cursor for a fast first row, which here made one query take over a minute.
    """
    now = now or timezone.now()
    gates = list(
        SignOff.objects.filter(
            release__stage=Stage.STAGING,
            state=GateState.PENDING,
            opened_at__lte=now - settings.SIGNOFF_REMINDER_INTERVAL,
        )
        .order_by("release__window_start", "release_id", "role__position")
        .values_list(
            "pk",
            "release_id",
            "role_id",
            "release__name",
            "release__version",
            "role__name",
            "opened_at",
        )
    )
    if not gates:
        return {"digests": 0, "escalations": escalate(now)}
    holders: dict[tuple[int, int], tuple[int | None, int | None]] = {
        (release_id, role_id): (holder_id, backup_id)
        for release_id, role_id, holder_id, backup_id in RoleAssignment.objects.filter(
            release__stage=Stage.STAGING
        ).values_list("release_id", "role_id", "holder_id", "backup_id")
    }
    owed: dict[int, list[tuple]] = defaultdict(list)
    held: dict[int, list[int]] = defaultdict(list)  # the gates a person holds (not backs up)
    for gate in gates:
        holder_id, backup_id = holders.get((gate[1], gate[2]), (None, None))
        for user_id in (holder_id, backup_id):
            if user_id is not None:
                owed[user_id].append(gate)
        if holder_id is not None:
            held[holder_id].append(gate[0])
    users = _users(owed)
    url = _gate_url()
    with transaction.atomic():
        claimed = claim_many((f"digest:{uid}" for uid in users), now=now)
        messages = []
        counted: list[int] = []
        for uid, user in users.items():
            if f"digest:{uid}" not in claimed:
                continue
            mine = owed[uid]
            messages.append(
                Message(
                    key=f"digest:{uid}:{now.isoformat()}:u{uid}",
                    kind="reminder_digest",
                    to=Recipient(user.email, user),
                    subject=f"Reminder: {len(mine)} sign-off(s) waiting for you",
                    context={
                        "headline": "These gates are still waiting for your decision:",
                        "items": [
                            {
                                "text": f"{role} for {name} ({version}) (open since "
                                f"{opened:%Y-%m-%d %H:%M})",
                                "url": url(pk),
                            }
                            for pk, _, _, name, version, role, opened in mine
                        ],
                    },
                )
            )
            counted += held.get(uid, [])
        queue(messages)
        for start in range(0, len(counted), 10_000):
            SignOff.objects.filter(pk__in=counted[start : start + 10_000]).update(
                reminders_sent=F("reminders_sent") + 1
            )
    return {"digests": len(messages), "escalations": escalate(now)}


def escalate(now: datetime) -> int:
    """Tell each release's Project Manager which gates are late, at most once per interval."""
    late_window = now + settings.SIGNOFF_ESCALATE_WINDOW
    late: dict[int, list[tuple]] = defaultdict(list)
    for row in (
        SignOff.objects.filter(
            release__stage=Stage.STAGING, state=GateState.PENDING, opened_at__isnull=False
        )
        .filter(
            Q(reminders_sent__gte=settings.SIGNOFF_REMINDER_ESCALATE_AFTER)
            | Q(release__window_start__lte=late_window)
        )
        .order_by("release_id", "role__position")
        .values_list(
            "release_id",
            "role__name",
            "reminders_sent",
            "release__name",
            "release__version",
            "release__window_start",
        )
    ):
        late[row[0]].append(row)
    if not late:
        return 0
    managers: dict[int, list[int]] = defaultdict(list)
    for release_id, holder_id, backup_id in RoleAssignment.objects.filter(
        release_id__in=list(late), role__key=RoleKey.PROJECT_MANAGER
    ).values_list("release_id", "holder_id", "backup_id"):
        managers[release_id] += [u for u in (holder_id, backup_id) if u is not None]
    users = _users(u for ids in managers.values() for u in ids)
    with transaction.atomic():
        claimed = claim_many((f"escalate:{rid}" for rid in late), now=now)
        messages = []
        escalated = 0
        for release_id in sorted(late):
            if f"escalate:{release_id}" not in claimed:
                continue
            escalated += 1
            rows = late[release_id]
            _, _, _, name, version, window_start = rows[0]
            window = (
                f"The deployment window opens {window_start:%Y-%m-%d %H:%M}."
                if window_start
                else ""
            )
            link = absolute(reverse("release-detail", args=[release_id]) + "#gates")
            for uid in dict.fromkeys(managers.get(release_id, [])):
                if uid not in users:
                    continue
                messages.append(
                    Message(
                        key=f"escalate:{release_id}:{now.isoformat()}:u{uid}",
                        kind="escalation",
                        to=Recipient(users[uid].email, users[uid]),
                        subject=f"Escalation: {len(rows)} sign-off(s) late on {name} ({version})",
                        context={
                            "headline": f"These gates of {name} ({version}) are still pending. "
                            f"{window}",
                            "items": [
                                {"text": f"{role} ({sent} reminder(s) sent)"}
                                for _, role, sent, *_ in rows
                            ],
                            "link": link,
                            "link_text": "Open the release",
                        },
                        release_id=release_id,
                    )
                )
        queue(messages)
    return escalated


def run_follow_ups(now: datetime | None = None) -> dict[str, int]:
    """Act on every follow-up that has come due, once."""
    now = now or timezone.now()
    counts = {"done": 0, "notices": 0}
    due = FollowUp.objects.filter(done_at__isnull=True, due_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(due):
        with transaction.atomic():
            if not FollowUp.objects.filter(pk=pk, done_at__isnull=True).update(done_at=now):
                continue  # Another worker took it.
            follow_up = FollowUp.objects.select_related("release").get(pk=pk)
            counts["notices"] += _act(follow_up)
            counts["done"] += 1
    return counts


def _act(follow_up: FollowUp) -> int:
    release = follow_up.release
    if release.stage not in (Stage.DEPLOYED, Stage.CLOSED):
        return 0  # Rolled back: its follow-ups no longer apply.
    feedback = release.handoffs.select_related("template").get(
        template__key="csm-to-product-manager"
    )
    link = notices.release_link(release, "handoffs")
    if follow_up.kind == FollowUpKind.POST_RELEASE_DUTIES:
        sent = 0
        for a in release.assignments.select_related("role", "holder", "backup"):
            ask = ""
            if a.role.key == RoleKey.CUSTOMER_SUCCESS_MANAGER and feedback.state == "pending":
                ask = (
                    "Please hand off early customer feedback and adoption metrics to the "
                    "Product Manager, within 48 hours of the release."
                )
            sent += notify(
                key=f"followup:{follow_up.pk}:{a.role.key}",
                kind="post_release_duties",
                to=recipients([a.holder, a.backup]),
                subject=f"{release}, one day on: your post-release duties",
                release=release,
                context={
                    "headline": f"{release} has been in production for a day. "
                    f"As {a.role.name}: {a.role.post_release_duty}.",
                    "body": ask,
                    "link": link,
                    "link_text": "Open the release",
                },
            )
        return sent
    if feedback.state != HandoffState.PENDING:
        return 0  # The feedback hand-off was sent in time.
    return notify(
        key=f"followup:{follow_up.pk}:overdue",
        kind="feedback_overdue",
        to=recipients(
            notices.role_people(release, RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER)
        ),
        subject=f"Overdue: customer feedback hand-off for {release}",
        release=release,
        context={
            "headline": f"48 hours after {release} reached production, the Customer Success "
            "Manager has not handed off early customer feedback and adoption metrics.",
            "link": link,
            "link_text": "Open the release",
        },
    )
