"""The 24-48 h follow-ups after a production deploy: the post-release duties still open, and
the customer feedback hand-off if it is late. Each follow-up is acted on once (claimed with a
conditional UPDATE), however many workers run."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from notifications.outbox import notify, recipients

from .. import notices
from ..models import DutyPhase, DutyState, FollowUp, FollowUpKind, HandoffState, RoleKey, Stage


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
        # Only what is still to do: a post-release duty already marked done is not asked again.
        still_open = {
            d.role_id: d
            for d in release.duties.filter(phase=DutyPhase.POST_RELEASE, state=DutyState.OPEN)
        }
        sent = 0
        for a in release.assignments.select_related("role", "holder", "backup"):
            duty = still_open.get(a.role_id)
            ask = ""
            if a.role.key == RoleKey.CUSTOMER_SUCCESS_MANAGER and feedback.state == "pending":
                ask = (
                    "Please hand off early customer feedback and adoption metrics to the "
                    "Product Manager, within 48 hours of the release."
                )
            if duty is None and not ask:
                continue
            sent += notify(
                key=f"followup:{follow_up.pk}:{a.role.key}",
                kind="post_release_duties",
                to=recipients([a.holder, a.backup]),
                subject=f"{release}, one day on: your post-release duties",
                release_id=release.pk,
                context={
                    "headline": f"{release} has been in production for a day."
                    + (f" As {a.role.name}: {duty.text}." if duty else ""),
                    "body": ask,
                    "link": notices.release_link(release, "duties") if duty else link,
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
        release_id=release.pk,
        context={
            "headline": f"48 hours after {release} reached production, the Customer Success "
            "Manager has not handed off early customer feedback and adoption metrics.",
            "link": link,
            "link_text": "Open the release",
        },
    )
