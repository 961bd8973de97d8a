"""Periodic sweeps over due times stored in the database: reminder digests, escalations and
the 24-48 h post-release follow-ups. Each is safe to run twice or on two workers at once:
a throttle row or a follow-up row is claimed with a conditional UPDATE before anything is
written, and only the claimant writes notices.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from signoffs.models import GateState, SignOff

from . import notices
from .models import (
    FollowUp,
    FollowUpKind,
    HandoffState,
    Release,
    RoleAssignment,
    RoleKey,
    Stage,
    Throttle,
)
from .outbox import notify, recipients

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def claim(key: str, *, now: datetime) -> bool:
    """True for the one caller that may act on `key` in this interval."""
    Throttle.objects.bulk_create([Throttle(key=key, last_at=EPOCH)], ignore_conflicts=True)
    cutoff = now - settings.SIGNOFF_REMINDER_INTERVAL
    return Throttle.objects.filter(key=key, last_at__lte=cutoff).update(last_at=now) == 1


def _pending_gates(now: datetime) -> list[SignOff]:
    """Gates open at least one interval and still undecided, on releases being signed."""
    return list(
        SignOff.objects.filter(
            release__stage=Stage.STAGING,
            state=GateState.PENDING,
            opened_at__lte=now - settings.SIGNOFF_REMINDER_INTERVAL,
        )
        .select_related("release", "role")
        .order_by("release__window_start", "release_id", "role__position")
    )


def _people_for(gates: list[SignOff]) -> dict[tuple[int, int], list[AbstractBaseUser]]:
    release_ids = {g.release_id for g in gates}
    people: dict[tuple[int, int], list[AbstractBaseUser]] = defaultdict(list)
    for a in RoleAssignment.objects.filter(release_id__in=release_ids).select_related(
        "holder", "backup"
    ):
        people[(a.release_id, a.role_id)] = [u for u in (a.holder, a.backup) if u is not None]
    return people


def send_reminders(now: datetime | None = None) -> dict[str, int]:
    """One digest per person per interval listing all their pending gates; then escalations."""
    now = now or timezone.now()
    gates = _pending_gates(now)
    people = _people_for(gates)
    owed: dict[int, list[SignOff]] = defaultdict(list)
    users: dict[int, AbstractBaseUser] = {}
    for gate in gates:
        for user in people[(gate.release_id, gate.role_id)]:
            owed[user.pk].append(gate)
            users[user.pk] = user
    digests = 0
    for user_pk, user_gates in owed.items():
        user = users[user_pk]
        if not recipients([user]):
            continue
        with transaction.atomic():
            if not claim(f"digest:{user_pk}", now=now):
                continue
            notify(
                key=f"digest:{user_pk}:{now.isoformat()}",
                kind="reminder_digest",
                to=recipients([user]),
                subject=f"Reminder: {len(user_gates)} sign-off(s) waiting for you",
                context={
                    "headline": "These gates are still waiting for your decision:",
                    "items": [
                        {
                            "text": f"{g.role.name} for {g.release} (open since "
                            f"{g.opened_at:%Y-%m-%d %H:%M})",
                            "url": notices.gate_link(g),
                        }
                        for g in user_gates
                    ],
                },
            )
            # Count reminders for the gates this person holds (not those they back up).
            held = [g.pk for g in user_gates if people[(g.release_id, g.role_id)][:1] == [user]]
            SignOff.objects.filter(pk__in=held).update(reminders_sent=F("reminders_sent") + 1)
            digests += 1
    return {"digests": digests, "escalations": escalate(now)}


def escalate(now: datetime) -> int:
    """Tell a release's Project Manager which gates are late, at most once per interval."""
    late_window = now + settings.SIGNOFF_ESCALATE_WINDOW
    gates = list(
        SignOff.objects.filter(
            release__stage=Stage.STAGING, state=GateState.PENDING, opened_at__isnull=False
        )
        .filter(
            Q(reminders_sent__gte=settings.SIGNOFF_REMINDER_ESCALATE_AFTER)
            | Q(release__window_start__lte=late_window)
        )
        .select_related("release", "role")
    )
    by_release: dict[int, list[SignOff]] = defaultdict(list)
    for gate in gates:
        by_release[gate.release_id].append(gate)
    sent = 0
    for release_id, late in by_release.items():
        release: Release = late[0].release
        with transaction.atomic():
            if not claim(f"escalate:{release_id}", now=now):
                continue
            window = (
                f"The deployment window opens {release.window_start:%Y-%m-%d %H:%M}."
                if release.window_start
                else ""
            )
            notify(
                key=f"escalate:{release_id}:{now.isoformat()}",
                kind="escalation",
                to=recipients(notices.role_people(release, RoleKey.PROJECT_MANAGER)),
                subject=f"Escalation: {len(late)} sign-off(s) late on {release}",
                release=release,
                context={
                    "headline": f"These gates of {release} are still pending. {window}",
                    "items": [
                        {"text": f"{g.role.name} ({g.reminders_sent} reminder(s) sent)"}
                        for g in late
                    ],
                    "link": notices.release_link(release, "gates"),
                    "link_text": "Open the release",
                },
            )
            sent += 1
    return sent


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
