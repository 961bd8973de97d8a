"""Incidents on a deployed release, from opening through rollback to resolution."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .release import Release


class IncidentState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"


class Incident(models.Model):
    """The guide's rollback & incident playbook for a deployed release."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20000)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.CRITICAL)
    state = models.CharField(
        max_length=8, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    rolled_back_to = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.TextField(blank=True, max_length=20000)
    action_items = models.TextField(blank=True, max_length=20000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title
