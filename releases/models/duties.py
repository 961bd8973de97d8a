"""Each role's duties on each release: the guide's pre-release, release-day and post-release
work, owned by that role's holder (or backup) and marked done with a note."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .release import Release
from .roles import Role


class DutyPhase(models.TextChoices):
    PRE_RELEASE = "pre_release", "Pre-release"
    RELEASE_DAY = "release_day", "Release day"
    POST_RELEASE = "post_release", "Post-release"


class DutyState(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"


# The Role field that holds each phase's duty text (the guide's table, seeded).
DUTY_FIELDS = {
    DutyPhase.PRE_RELEASE: "pre_release_duty",
    DutyPhase.RELEASE_DAY: "release_day_duty",
    DutyPhase.POST_RELEASE: "post_release_duty",
}


class Duty(models.Model):
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="duties")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(max_length=16, choices=DutyPhase.choices)
    # Copied from the role when the release is created: the duty people were asked to do.
    text = models.CharField(max_length=200)
    state = models.CharField(max_length=8, choices=DutyState.choices, default=DutyState.OPEN)
    note = models.TextField(blank=True, max_length=5000)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    # When the holder was told the duty is now theirs to do (release-day and post-release
    # duties: at the production deploy).
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["release", "role__position", "phase"]
        verbose_name_plural = "duties"
        constraints = [
            models.UniqueConstraint(fields=["release", "role", "phase"], name="one_duty_per_phase")
        ]
        indexes = [models.Index(fields=["state", "phase"], name="duty_state_idx")]

    def __str__(self) -> str:
        return f"{self.role}: {self.text}"
