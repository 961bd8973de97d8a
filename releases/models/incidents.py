"""The guide's rollback and incident playbook: an incident, its remediation (rollback, fix
forward or mitigation), its triage and its action items."""

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
    """A production problem on a release: opened by hand or by recording a failed deploy."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="incidents")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=20000)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.CRITICAL)
    state = models.CharField(
        max_length=8, choices=IncidentState.choices, default=IncidentState.OPEN
    )
    # Opened by recording a failed production deploy (rather than reported by someone).
    failed_deploy = models.BooleanField(default=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(auto_now_add=True)
    rolled_back_to = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    # Service restored without a rollback (the first release has nothing to roll back to).
    mitigation = models.TextField(blank=True, max_length=20000)
    mitigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    mitigated_at = models.DateTimeField(null=True, blank=True)
    # Fix forward: the patch release created from this incident (its `fixes_incident`).
    fixed_forward_at = models.DateTimeField(null=True, blank=True)
    root_cause = models.TextField(blank=True, max_length=20000)
    # Free-text action items of incidents recorded before action items had owners.
    action_items = models.TextField(blank=True, max_length=20000)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The post-incident review closes once every action item is done or deferred.
    review_closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["opened_at"], name="incident_opened_idx")]

    def __str__(self) -> str:
        return self.title


class ActionItemState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DEFERRED = "deferred", "Deferred"


class ActionItem(models.Model):
    """Follow-up work from an incident's triage, owned by one person, due on a date."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="items")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    state = models.CharField(
        max_length=8, choices=ActionItemState.choices, default=ActionItemState.OPEN
    )
    # What was done, or why it is deferred (required for a deferral).
    note = models.TextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    # Claimed once each by the sweep (a conditional UPDATE), so nobody is told twice.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["state", "due_on"], name="action_item_due_idx")]

    def __str__(self) -> str:
        return self.text
