"""The notification outbox: write with the event, deliver after commit, retry from a sweep.

`notify` is called inside a service's transaction, so a notice exists exactly when its event
does. Delivery claims a row with a conditional UPDATE (pending -> sending); only the worker
whose update changed the row sends it. A Redis outage only delays delivery (the sweep finds
the row); an SMTP failure puts the row back to pending with a backoff.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .models import Notification, NotificationState, Release

log = logging.getLogger(__name__)
BATCH = 200


@dataclass(frozen=True)
class Recipient:
    email: str
    user: AbstractBaseUser | None = None

    @property
    def ident(self) -> str:
        return f"u{self.user.pk}" if self.user is not None else self.email.lower()


def recipients(users: Iterable[AbstractBaseUser | None]) -> list[Recipient]:
    """Active users with an email address, each once."""
    seen: dict[int, Recipient] = {}
    for user in users:
        if user is not None and user.is_active and user.email and user.pk not in seen:
            seen[user.pk] = Recipient(user.email, user)
    return list(seen.values())


def absolute(path: str) -> str:
    return settings.SITE_URL + path


@dataclass(frozen=True)
class Message:
    """One email to one recipient; `key` is unique per (event, recipient)."""

    key: str
    kind: str
    to: Recipient
    subject: str
    context: dict[str, object]
    release_id: int | None = None


def notify(
    *,
    key: str,
    kind: str,
    to: Iterable[Recipient],
    subject: str,
    release: Release | None = None,
    context: dict[str, object],
) -> int:
    """Queue one email per recipient; `key` names the event. Returns how many were new."""
    release_id = release.pk if release is not None else None
    return queue([Message(f"{key}:{r.ident}", kind, r, subject, context, release_id) for r in to])


def _items(items: list[dict[str, str]]) -> dict[str, str]:
    """A notice's list, as text and as escaped HTML.

    Built here rather than by a template loop: a digest can list hundreds of gates, and a
    sweep writes a thousand digests, where the loop cost seconds.
    """
    text, html = [], []
    for item in items:
        label, url = item["text"], item.get("url", "")
        text.append(f"\n- {label}" + (f"\n  {url}" if url else ""))
        html.append(
            f'<li><a href="{escape(url)}">{escape(label)}</a></li>'
            if url
            else f"<li>{escape(label)}</li>"
        )
    return {"items_text": "".join(text), "items_html": mark_safe("".join(html))}  # escaped above


def queue(messages: list[Message]) -> int:
    """Store many notices at once (inside the caller's transaction); deliver after commit."""
    if not messages:
        return 0
    now = timezone.now()
    rows = []
    for m in messages:
        ctx = {
            **m.context,
            **_items(m.context.get("items", [])),
            "recipient": m.to.user,
            "subject": m.subject,
            "site_url": settings.SITE_URL,
        }
        rows.append(
            Notification(
                key=m.key[:200],
                kind=m.kind,
                release_id=m.release_id,
                recipient=m.to.user,
                to_email=m.to.email,
                subject=(settings.EMAIL_SUBJECT_PREFIX + m.subject)[:255],
                body_text=render_to_string("emails/notice.txt", ctx),
                body_html=render_to_string("emails/notice.html", ctx),
                next_attempt_at=now,
            )
        )
    keys = [r.key for r in rows]
    existing = set(Notification.objects.filter(key__in=keys).values_list("key", flat=True))
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    new_keys = [k for k in keys if k not in existing]
    transaction.on_commit(lambda: enqueue(new_keys))
    return len(new_keys)


# Above this many new notices at once (a reminder sweep), one sweep task delivers them all:
# one broker message instead of thousands.
BULK = 20


def enqueue(keys: list[str]) -> None:
    """Hand the new notices to a worker; if the broker is down the sweep delivers them later."""
    from .tasks import deliver_due, deliver_notification

    if len(keys) > BULK:
        try:
            deliver_due.apply_async(retry=False)
        except Exception:  # The broker is unreachable: the periodic sweep delivers them.
            log.warning("broker unavailable; %s notices left for the sweep", len(keys))
        return
    for key in keys:
        try:
            deliver_notification.apply_async(args=[key], retry=False)
        except Exception:  # The broker is unreachable: the notice waits in the outbox.
            log.warning("broker unavailable; notice %s left for the sweep", key, exc_info=True)
            return


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
        subject=notice.subject,
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
