"""The outbox: write a notice with its event, hand it to a worker after commit.

`notify` is called inside the caller's transaction, so a notice exists exactly when its
event does. Delivery (`delivery.py`) sends it; a Redis outage only delays it, since the
periodic sweep finds every row still pending.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import mark_safe

from . import times
from .models import Notification
from .tasks import deliver_due, deliver_notification

log = logging.getLogger(__name__)


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
    """One email to one recipient; `key` is unique per (event, recipient).

    `release_id` only tags the row, so an admin can find a release's notices; the outbox
    never reads it.
    """

    key: str
    kind: str
    to: Recipient
    subject: str
    context: dict[str, object]
    release_id: int | None = None


# Control characters (CR and LF among them) and the Unicode line and paragraph separators.
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Long enough for any subject a notice writes, short enough to read in a mail list; the
# column holds 255.
SUBJECT_MAX = 200


def subject_line(subject: str) -> str:
    """`subject` as one line of at most `SUBJECT_MAX` characters, whatever it contains.

    The services refuse line breaks in names and titles, but a subject also quotes rows
    stored before they did, and names typed elsewhere: a line break left in it makes Django
    refuse the mail (`BadHeaderError`) on every try, and the notice is lost. Whatever the
    content, a notice stays sendable, and its headers stay the ones it was given.
    """
    line = " ".join(_BREAKING.sub(" ", subject).split())
    if len(line) > SUBJECT_MAX:
        line = line[: SUBJECT_MAX - 1].rstrip() + "…"
    return line


def notify(
    *,
    key: str,
    kind: str,
    to: Iterable[Recipient],
    subject: str,
    release_id: int | None = None,
    context: dict[str, object],
) -> int:
    """Queue one email per recipient; `key` names the event. Returns how many were new."""
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


def _zones(messages: list[Message]) -> dict[int, str]:
    """The recipients' time zones, in one query, from `settings.OUTBOX_TIME_ZONES` (a dotted
    path to a function of user ids: the outbox knows nothing of where people keep them)."""
    ids = {m.to.user.pk for m in messages if m.to.user is not None}
    path = getattr(settings, "OUTBOX_TIME_ZONES", "")
    return import_string(path)(ids) if ids and path else {}


def _row(m: Message, now: datetime) -> Notification:
    subject = times.resolve(m.subject)
    context = times.resolve_all(m.context)
    ctx = {
        **context,
        **_items(context.get("items", [])),
        "recipient": m.to.user,
        "subject": subject_line(subject),
        "site_url": settings.SITE_URL,
        # A notice about one release says so; a digest or a team notice (a delegation, a
        # default holder) is not about one release.
        "because": "you hold a role on this release"
        if m.release_id
        else "you take part in releases signed off here",
    }
    return Notification(
        key=m.key[:200],
        kind=m.kind,
        release_id=m.release_id,
        recipient=m.to.user,
        to_email=m.to.email,
        subject=subject_line(settings.EMAIL_SUBJECT_PREFIX + subject),
        body_text=render_to_string("emails/notice.txt", ctx),
        body_html=render_to_string("emails/notice.html", ctx),
        next_attempt_at=now,
    )


def queue(messages: list[Message]) -> int:
    """Store many notices at once (inside the caller's transaction); deliver after commit."""
    if not messages:
        return 0
    now = timezone.now()
    zones = _zones(messages)
    rows = []
    for m in messages:
        # Each email in its recipient's time zone (the team's where they set none).
        with timezone.override(zones.get(m.to.user.pk) if m.to.user else None):
            rows.append(_row(m, now))
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
