"""Outgoing webhooks: register an endpoint, publish an event, sign and shape each delivery.

`publish` runs inside the caller's transaction, like `outbox.notify`: a delivery row exists
exactly when its event does, and a worker is kicked only after the commit. Sending, retries
and the sweep are in `webhook_delivery.py`.

Generic deliveries follow the Standard Webhooks spec (https://www.standardwebhooks.com):
`webhook-id` (the same on every retry, so a receiver drops a repeat), `webhook-timestamp`
(unix seconds of the attempt) and `webhook-signature` ("v1," + base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}", keyed by the base64-decoded secret after "whsec_"). Slack and
Teams bodies carry the same headers; those services ignore them.

This module knows nothing of releases: event names and payloads come from the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import WebhookDelivery, WebhookEndpoint, WebhookFormat
from .tasks import deliver_webhook, deliver_webhooks_due

log = logging.getLogger(__name__)
SECRET_PREFIX = "whsec_"
# Receivers should refuse a signature older than this (Standard Webhooks suggests 5 minutes).
TOLERANCE_SECONDS = 300


class UnsafeTarget(Exception):
    """The URL resolves to an address a webhook must not reach (loopback, private, ...)."""


# --- secrets and signatures -------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_msg_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: int | None = None) -> bool:
    """What a receiver does (tests and docs use it): a matching v1 signature, recent enough."""
    h = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id, timestamp = h["webhook-id"], int(h["webhook-timestamp"])
    except (KeyError, ValueError):
        return False
    now = int(timezone.now().timestamp()) if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    expected = sign(secret, msg_id, timestamp, body).encode()
    # The header may list several space-separated signatures (during a secret rotation).
    return any(
        hmac.compare_digest(expected, s.encode()) for s in h.get("webhook-signature", "").split()
    )


# --- targets ----------------------------------------------------------------------------


def _forbidden(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolve_target(url: str) -> tuple[str, int, str]:
    """The (host, port, address) a delivery to `url` connects to.

    The address is resolved here and the connection goes to it, not to the name again: a
    name that resolves to a public address when checked and to 127.0.0.1 when connected (DNS
    rebinding) cannot slip through. Raises UnsafeTarget.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("The URL must start with http:// or https:// and name a host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("The URL's port is not a number from 1 to 65535.") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"The host {parts.hostname} does not resolve ({exc}).") from None
    addresses = [info[4][0] for info in infos]
    allow_private = getattr(settings, "WEBHOOK_ALLOW_PRIVATE", False)
    # Every address the name has must be public: the client could pick any of them.
    for address in addresses:
        if not allow_private and _forbidden(ipaddress.ip_address(address.split("%")[0])):
            raise UnsafeTarget(
                f"{parts.hostname} resolves to {address}, a loopback, private, link-local or "
                "reserved address; webhooks go to public addresses only."
            )
    return parts.hostname, port, addresses[0]


# --- endpoints --------------------------------------------------------------------------


def register(
    *, name: str, url: str, events: list[str], format: str, created_by: Any = None
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (the caller shows it once). Raises ValidationError."""
    name, url = (name or "").strip(), (url or "").strip()
    if not name:
        raise ValidationError({"name": "Give the endpoint a name."})
    if len(name) > WebhookEndpoint._meta.get_field("name").max_length:
        raise ValidationError({"name": "The name is too long (100 characters at most)."})
    if len(url) > WebhookEndpoint._meta.get_field("url").max_length:
        raise ValidationError({"url": "The URL is too long (500 characters at most)."})
    if format not in WebhookFormat.values:
        raise ValidationError({"format": "Pick generic, slack or teams."})
    try:
        resolve_target(url)
    except UnsafeTarget as exc:
        raise ValidationError({"url": str(exc)}) from None
    secret = new_secret()
    endpoint = WebhookEndpoint.objects.create(
        name=name,
        url=url,
        events=sorted(set(events)),
        format=format,
        secret=secret,
        created_by=created_by,
    )
    return endpoint, secret


# --- publishing -------------------------------------------------------------------------


def _endpoints_for(event: str) -> list[WebhookEndpoint]:
    # Matched here rather than with a JSON `contains` lookup, which SQLite (the embedded
    # default of `make run`) does not support; a team has a handful of endpoints.
    return [
        e
        for e in WebhookEndpoint.objects.filter(active=True).only("pk", "events")
        if not e.events or event in e.events
    ]


def wanted(event: str) -> bool:
    """Whether any active endpoint wants `event`: a sweep asks once before building many."""
    return bool(_endpoints_for(event))


def publish(event: str, payload: dict[str, Any]) -> int:
    """Queue `event` for every active endpoint that wants it (an empty list wants all).

    `payload` is the event's `data`; the body is {type, timestamp, data}. Call inside the
    transaction of the change: rows appear with it, workers start after its commit. Returns
    how many deliveries were queued.
    """
    now = timezone.now()
    endpoints = _endpoints_for(event)
    if not endpoints:
        return 0
    body = {"type": event, "timestamp": now.isoformat(), "data": payload}
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=e, msg_id=new_msg_id(), event=event, payload=body, next_attempt_at=now
        )
        for e in endpoints
    )
    ids = [r.pk for r in rows]
    transaction.on_commit(lambda: enqueue(ids))
    return len(ids)


def enqueue(ids: list[int]) -> None:
    """Hand deliveries to a worker; with the broker down, the periodic sweep sends them."""
    try:
        if len(ids) > 20:  # one broker message for a burst rather than one per row
            deliver_webhooks_due.apply_async(retry=False)
            return
        for pk in ids:
            deliver_webhook.apply_async(args=[pk], retry=False)
    except Exception:  # The broker is unreachable: the rows wait for the sweep.
        log.warning("broker unavailable; webhook deliveries %s left for the sweep", ids)


# --- formats ----------------------------------------------------------------------------


def _text(body: dict[str, Any]) -> tuple[str, str, str]:
    """A delivery's (title, summary, link) for chat."""
    data = body.get("data") or {}
    release = data.get("release") or {}
    title = f"{release.get('name', '')} {release.get('version', '')}".strip() or body["type"]
    return title, str(data.get("summary") or body["type"]), str(release.get("url") or "")


def render(endpoint_format: str, body: dict[str, Any]) -> bytes:
    """The bytes POSTed for one delivery in the endpoint's format."""
    if endpoint_format == WebhookFormat.SLACK:
        title, summary, url = _text(body)
        text = f"*{title}*: {summary}" + (f" <{url}|Open>" if url else "")
        return json.dumps({"text": text}).encode()
    if endpoint_format == WebhookFormat.TEAMS:
        title, summary, url = _text(body)
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
                {"type": "TextBlock", "text": summary, "wrap": True},
                {"type": "TextBlock", "text": body["type"], "isSubtle": True, "wrap": True},
            ],
        }
        if url:
            card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the release", "url": url}]
        message = {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }
        return json.dumps(message).encode()
    return json.dumps(body, separators=(",", ":")).encode()
