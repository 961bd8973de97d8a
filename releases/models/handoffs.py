"""The guide's cross-functional hand-offs: their templates and each release's hand-offs."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .checklist import ChecklistPhase
from .release import Release
from .roles import Role


class HandoffTemplate(models.Model):
    """One of the guide's cross-functional hand-offs."""

    key = models.SlugField(max_length=60, unique=True)
    position = models.PositiveSmallIntegerField(unique=True)
    from_role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    to_role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    what = models.CharField("hand off", max_length=200)
    expected_action = models.CharField(max_length=200)
    timing = models.CharField(max_length=100)
    phase = models.CharField(max_length=16, choices=ChecklistPhase.choices)
    # The QA Lead -> DevOps Engineer hand-off is a gate: its receiver, the DevOps Engineer,
    # records "proceed" or "hold".
    is_gate = models.BooleanField(default=False)
    # Seeded from the guide's timing; the times in force come from settings.HANDOFF_DUE.
    due_after_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    overdue_after_hours = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.from_role} → {self.to_role}"


class HandoffState(models.TextChoices):
    PENDING = "pending", "Not sent"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class HandoffDecision(models.TextChoices):
    PROCEED = "proceed", "Proceed with deployment"
    HOLD = "hold", "Hold"


class Handoff(models.Model):
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="handoffs")
    template = models.ForeignKey(HandoffTemplate, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=16, choices=HandoffState.choices, default=HandoffState.PENDING
    )
    decision = models.CharField(max_length=8, choices=HandoffDecision.choices, blank=True)
    notes = models.TextField(blank=True, max_length=20000)
    links = models.TextField(blank=True, max_length=5000)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    # The receiver's note with its acknowledgement; for the QA hand-off, why "hold" (required)
    # or "proceed".
    response = models.TextField(blank=True, max_length=5000)
    # Set when the hand-off's phase starts (staging, or the production deploy), from
    # settings.HANDOFF_DUE; the reminder sweep reads these.
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    # Claimed once each by the sweep (a conditional UPDATE), so nobody is told twice.
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template__position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "template"], name="one_handoff_per_template")
        ]
        indexes = [
            models.Index(fields=["state", "due_at"], name="handoff_due_idx"),
            # Insights reads the hand-offs due in a period, whatever their state.
            models.Index(fields=["due_at"], name="handoff_due_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.state}]"
