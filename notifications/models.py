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
