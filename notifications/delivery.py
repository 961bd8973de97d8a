"""Delivery: send a notice once, retry with a backoff, and sweep up what is due.

A worker claims a row with a conditional UPDATE (pending -> sending); only the worker whose
update changed the row sends it. An SMTP failure puts the row back to pending with a
backoff; a worker that dies holding a row loses it after the lease, and the sweep retries.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from .models import Notification, NotificationState
from .outbox import subject_line

log = logging.getLogger(__name__)
BATCH = 200


def message_id(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}.notice@octoacme-releases>"


def _backoff(tries: int) -> datetime:
    base = settings.NOTIFICATION_RETRY_BASE
    return timezone.now() + base * (2 ** max(tries - 1, 0))


def deliver(key: str) -> str:
    """Send one notice if it is due and nobody else holds it. Safe to call any number of times."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        key=key, state=NotificationState.PENDING, next_attempt_at__lte=now
    ).update(state=NotificationState.SENDING, claimed_at=now, tries=F("tries") + 1)
    if not claimed:
        return "skipped"
    notice = Notification.objects.get(key=key)
    message = EmailMultiAlternatives(
        # Again here for a notice queued before subjects were made one line by the outbox.
        subject=subject_line(notice.subject),
        body=notice.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.to_email],
        # The same Message-ID on every attempt: if a worker dies after the server took the
        # message but before it could record that, the retry is recognisably the same mail
        # and receivers drop the copy (SMTP cannot tell us which side of that line we died).
        headers={"X-OctoAcme-Notice": notice.key, "Message-ID": message_id(notice.key)},
    )
    message.attach_alternative(notice.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # SMTP refusals, timeouts, DNS: all are retried.
        failed = notice.tries >= settings.NOTIFICATION_MAX_TRIES
        Notification.objects.filter(pk=notice.pk, state=NotificationState.SENDING).update(
            state=NotificationState.FAILED if failed else NotificationState.PENDING,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=_backoff(notice.tries),
            claimed_at=None,
        )
        log.warning("sending notice %s failed (try %s): %s", key, notice.tries, exc)
        return "failed" if failed else "retry"
    Notification.objects.filter(pk=notice.pk).update(
        state=NotificationState.SENT, sent_at=timezone.now(), claimed_at=None, last_error=""
    )
    return "sent"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Release notices held by dead workers, then deliver everything due, in batches."""
    now = now or timezone.now()
    released = Notification.objects.filter(
        state=NotificationState.SENDING, claimed_at__lt=now - settings.NOTIFICATION_LEASE
    ).update(state=NotificationState.PENDING, claimed_at=None)
    counts = {"released": released, "sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    due = Q(state=NotificationState.PENDING, next_attempt_at__lte=now)
    last_id = 0
    while True:
        batch = list(
            Notification.objects.filter(due, id__gt=last_id)
            .order_by("id")
            .values_list("id", "key")[:BATCH]
        )
        if not batch:
            return counts
        for pk, key in batch:
            counts[deliver(key)] += 1
            last_id = pk
