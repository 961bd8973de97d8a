"""A sign-off gate: one per role per release, decided only by that role's holder or backup."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from guardian.models import UserObjectPermissionBase

from releases.lifecycle.tables import GateState
from releases.models import Release, Role

__all__ = ["GateState", "SignOff", "SignOffUserObjectPermission"]


class SignOff(models.Model):
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="signoffs")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=8, choices=GateState.choices, default=GateState.PENDING)
    # An approval that turned pending because the release's scope changed after it was given.
    stale = models.BooleanField(default=False)
    comment = models.TextField(blank=True, max_length=5000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # When a backup decides, the holder they acted for ("by X for Y").
    decided_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # When the gate opened for signing (staging; the Project Manager's after the other six).
    opened_at = models.DateTimeField(null=True, blank=True)
    # Bumped on every change so a form rendered before someone else acted is recognised.
    revision = models.PositiveIntegerField(default=0)
    # Digests that listed this gate while it stayed pending; escalation counts these.
    reminders_sent = models.PositiveIntegerField(default=0)
    # Escalation emails to the Project Manager that listed this gate (Insights counts them).
    escalations_sent = models.PositiveIntegerField(default=0)
    # Copied from the release type's policy when the release is created, so a later policy
    # edit never changes a release in flight: a retroactive gate does not hold up the deploy
    # and is signed within `retroactive_hours` after it (`due_at`, set by the deploy).
    retroactive = models.BooleanField(default=False)
    retroactive_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["role__position"]
        permissions = [("sign_signoff", "Can sign this gate")]
        constraints = [
            models.UniqueConstraint(fields=["release", "role"], name="one_gate_per_role"),
            models.CheckConstraint(
                condition=models.Q(retroactive=False, retroactive_hours__isnull=True)
                | models.Q(retroactive=True, retroactive_hours__gt=0),
                name="retroactive_gate_has_its_hours",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "opened_at"]),
            # Insights reads the gates decided in a period, however long the history.
            models.Index(fields=["decided_at"], name="signoff_decided_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.role} gate of {self.release}"


class SignOffUserObjectPermission(UserObjectPermissionBase):
    """Guardian's direct foreign-key table for gate permissions (no generic relation)."""

    content_object = models.ForeignKey(SignOff, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        pass
