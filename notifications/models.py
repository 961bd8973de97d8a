"""The outbox and the throttles.

Both tables were created by the `releases` app and keep their names (`db_table`): moving
them here changed which app owns them, not a single row (see migrations/0001_initial.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    """The outbox: one row per notice and recipient, written with the event that causes it.

    `key` is unique per (event, recipient), so a retried event never makes a second row; a
    worker claims a row with a conditional update before sending, so two never both send it.
    """

    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40)
    # The release a notice is about, as a plain number: the column the old foreign key used,
    # kept as it was so existing rows keep their value, without a constraint that would tie
    # the outbox to the releases app. Releases are never deleted (their audit events protect
    # them), so the constraint guarded nothing the application relies on.
    release_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField()
    state = models.CharField(
        max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "releases_notification"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email} [{self.state}]"


class Throttle(models.Model):
    """When something rate-limited (a person's digest, an escalation) last happened."""

    key = models.CharField(max_length=100, unique=True)
    last_at = models.DateTimeField()

    class Meta:
        db_table = "releases_throttle"

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_at:%Y-%m-%d %H:%M}"


class WebhookFormat(models.TextChoices):
    GENERIC = "generic", "Generic JSON (Standard Webhooks signature)"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams workflow card"


class WebhookEndpoint(models.Model):
    """Where chat rooms and tools want to hear of events. `events` lists the event types
    wanted (an empty list: all). A 410 answer disables it, with the reason kept."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list)
    format = models.CharField(max_length=8, choices=WebhookFormat.choices)
    secret = models.CharField(max_length=100)  # "whsec_" + base64, per Standard Webhooks
    active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint, delivered by the outbox's worker with retries; `msg_id` is
    the `webhook-id` sent on every attempt, so a receiver can drop a repeat."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    msg_id = models.CharField(max_length=64)
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    state = models.CharField(
        max_length=8, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    tries = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "msg_id"], name="one_delivery_per_event")
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint}"
