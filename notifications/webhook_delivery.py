"""Sending webhook deliveries: once per attempt, retried with a backoff, swept when due.

As with email (`delivery.py`), a worker claims a row with a conditional UPDATE (pending ->
sending, `claimed_at` set); only the worker whose update changed the row sends it, so two
workers never POST one attempt twice. Errors, timeouts and 5xx put the row back to pending
with a backoff until `WEBHOOK_MAX_TRIES`; a 410 Gone disables the endpoint. The sweep hands
back rows held by dead workers after the lease and sends everything due.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import NotificationState, WebhookDelivery, WebhookEndpoint
from .webhooks import UnsafeTarget, enqueue, render, resolve_target, sign

log = logging.getLogger(__name__)
BATCH = 200
PENDING, SENDING = NotificationState.PENDING, NotificationState.SENDING
SENT, FAILED = NotificationState.SENT, NotificationState.FAILED


def _setting(name: str, default: object) -> object:
    return getattr(settings, name, default)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """HTTPS to an address already vetted, with the certificate checked for the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` and return the status. Redirects are not followed (a 3xx is a
    failure): following one could lead to an address nobody vetted."""
    host, port, address = resolve_target(url)
    parts = urlsplit(url)
    cls = _PinnedHTTPS if parts.scheme == "https" else _PinnedHTTP
    conn = cls(host, port, address, float(_setting("WEBHOOK_TIMEOUT", 5.0)))
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)  # a little, so the connection closes cleanly; never trusted
        return response.status
    finally:
        conn.close()


def _backoff(tries: int, now: datetime) -> datetime:
    base: timedelta = _setting("WEBHOOK_RETRY_BASE", timedelta(seconds=30))  # type: ignore[assignment]
    # 30 s, 1 min, 2 min, ... capped at 6 h: a receiver down for a day still gets its events.
    return now + min(base * (2 ** max(tries - 1, 0)), timedelta(hours=6))


def deliver(delivery_id: int) -> str:
    """Attempt one delivery if it is due and nobody holds it. Safe to call any number of times.

    Returns sent, retry, failed, disabled or skipped.
    """
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=PENDING, next_attempt_at__lte=now
    ).update(state=SENDING, claimed_at=now, tries=F("tries") + 1)
    if not claimed:
        return "skipped"
    d = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    mine = WebhookDelivery.objects.filter(pk=d.pk, state=SENDING, claimed_at=now)
    endpoint = d.endpoint
    if not endpoint.active:
        mine.update(state=FAILED, claimed_at=None, last_error="The endpoint is disabled.")
        return "failed"
    body = render(endpoint.format, d.payload)
    stamp = int(timezone.now().timestamp())
    headers = {
        "content-type": "application/json",
        "user-agent": "OctoAcme-Releases-Webhooks/1",
        "webhook-id": d.msg_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(endpoint.secret, d.msg_id, stamp, body),
    }
    status, error = None, ""
    try:
        status = post(endpoint.url, body, headers)
    except UnsafeTarget as exc:  # the name moved to a private address: never sent
        error, status = f"Refused: {exc}", None
    except (OSError, http.client.HTTPException) as exc:  # timeouts, refusals, TLS, DNS
        error = f"{type(exc).__name__}: {exc}"
    if status is not None and 200 <= status < 300:
        mine.update(
            state=SENT, delivered_at=timezone.now(), claimed_at=None, last_status=status,
            last_error="",
        )  # fmt: skip
        return "sent"
    if status == 410:
        reason = f"The receiver answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC."
        WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, disabled_reason=reason
        )
        mine.update(state=FAILED, claimed_at=None, last_status=410, last_error=reason)
        log.warning("webhook endpoint %s disabled: 410 Gone", endpoint.pk)
        return "disabled"
    if status is not None:
        error = f"HTTP {status}"
    failed = error.startswith("Refused") or d.tries >= int(_setting("WEBHOOK_MAX_TRIES", 8))
    mine.update(
        state=FAILED if failed else PENDING,
        claimed_at=None,
        last_status=status,
        last_error=error[:2000],
        next_attempt_at=_backoff(d.tries, timezone.now()),
    )
    log.warning("webhook delivery %s failed (try %s): %s", d.pk, d.tries, error)
    return "failed" if failed else "retry"


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Hand back deliveries held by dead workers, then attempt everything due, in batches."""
    now = now or timezone.now()
    lease: timedelta = _setting("NOTIFICATION_LEASE", timedelta(minutes=10))  # type: ignore[assignment]
    released = WebhookDelivery.objects.filter(state=SENDING, claimed_at__lt=now - lease).update(
        state=PENDING, claimed_at=None
    )
    counts = dict.fromkeys(("sent", "retry", "failed", "disabled", "skipped"), 0)
    counts["released"] = released
    last_id = 0
    while True:
        batch = list(
            WebhookDelivery.objects.filter(state=PENDING, next_attempt_at__lte=now, id__gt=last_id)
            .order_by("id")
            .values_list("id", flat=True)[:BATCH]
        )
        if not batch:
            return counts
        for pk in batch:
            counts[deliver(pk)] += 1
            last_id = pk


def redeliver(delivery_id: int) -> bool:
    """Queue a new attempt of a finished delivery (same `webhook-id`), with a fresh round of
    retries. False if it is not finished (pending or being sent) or its endpoint is off."""
    again = WebhookDelivery.objects.filter(
        pk=delivery_id, state__in=[SENT, FAILED], endpoint__active=True
    ).update(state=PENDING, tries=0, next_attempt_at=timezone.now(), claimed_at=None)
    if again:
        transaction.on_commit(lambda: enqueue([delivery_id]))
    return bool(again)
