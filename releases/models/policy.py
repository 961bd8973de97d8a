"""Admin-set policy: which gates a release type needs before its deploy (the rest sign
retroactively), and when production deploys are frozen."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .release import Release, ReleaseType
from .roles import Role


class ReleasePolicy(models.Model):
    """The gates of one release type. Without a row the guide's rule holds: all seven gates
    approve before the deploy. An expedited policy names the gates that must approve before the
    deploy; the others sign retroactively within `retroactive_hours` after it."""

    release_type = models.CharField(max_length=8, choices=ReleaseType.choices, unique=True)
    name = models.CharField(max_length=120)
    expedited = models.BooleanField(default=False)
    before_deploy = models.ManyToManyField(Role, blank=True, related_name="+")
    retroactive_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "release policies"

    def __str__(self) -> str:
        return f"{self.name} ({self.get_release_type_display()})"


class FreezeKind(models.TextChoices):
    ONE_OFF = "one_off", "One-off"
    WEEKLY = "weekly", "Weekly"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Freeze(models.Model):
    """A period with no production deploys: one-off (`starts_at` to `ends_at`), or weekly from
    (`start_weekday`, `start_time`) to (`end_weekday`, `end_time`) read in `time_zone`, so that a
    Friday 16:00 freeze stays at 16:00 local across a daylight-saving change."""

    reason = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=FreezeKind.choices, default=FreezeKind.ONE_OFF)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    start_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    start_time = models.TimeField(null=True, blank=True)
    end_weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "starts_at", "start_weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=FreezeKind.ONE_OFF)
                | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=F("starts_at")),
                name="one_off_freeze_has_an_end_after_its_start",
                violation_error_message="A one-off freeze needs a start and an end after it.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=FreezeKind.WEEKLY)
                | Q(
                    start_weekday__isnull=False,
                    start_time__isnull=False,
                    end_weekday__isnull=False,
                    end_time__isnull=False,
                ),
                name="weekly_freeze_has_both_ends",
                violation_error_message="A weekly freeze needs a start and an end day and time.",
            ),
        ]

    def __str__(self) -> str:
        return self.reason


class DeployOverride(models.Model):
    """Someone allowed to (an admin or the release's Project Manager) lets a deploy through a
    freeze or outside the release's window, with a reason. Used by at most one deploy."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="deploy_overrides")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Deploy override on {self.release}"
