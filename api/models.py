"""API tokens (hashed, looked up by prefix), idempotency records, and calendar feed secrets."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    RELEASES_READ = "releases:read", "Read releases, gates, checklist and blockers"
    EVIDENCE_WRITE = "evidence:write", "Record evidence (CI, scans, PRs, smoke tests)"
    DEPLOYMENTS_WRITE = "deployments:write", "Ask the gate check and record deployments"


class ApiToken(models.Model):
    """A named integration's token. The secret is shown once; only its hash is kept, and the
    token is found by its public prefix. `user` is the integration's own account (holds no
    role, so a token never decides a gate); the audit trail names it."""

    name = models.CharField(max_length=100, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_token"
    )
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The answer to one write, replayed for a retry with the same `Idempotency-Key`."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)  # method, path and body
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # null while in flight
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.token} {self.key}"


class CalendarFeed(models.Model):
    """A person's secret iCalendar URL; revoking it (a new secret) kills the old URL."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar of {self.user}"
