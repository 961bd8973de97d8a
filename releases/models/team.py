"""How the team is run: delegations of a person's roles for a period, the separation-of-duties
setting and its per-release exceptions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .release import Release


class TeamSettings(models.Model):
    """The team-wide switches an admin sets; one row (pk=1), created on first read."""

    separate_duties = models.BooleanField(
        "separation of duties",
        default=True,
        help_text="One person may not hold two roles on the same release (as holder, backup or "
        "delegate) unless an admin records an exception on that release.",
    )

    # Bumped whenever anyone's account is saved (a name changed, say): pages cached by
    # release revision name people too, so their cache keys carry this as well.
    people_revision = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "team settings"

    def __str__(self) -> str:
        return "Team settings"

    @classmethod
    def load(cls) -> TeamSettings:
        return cls.objects.get_or_create(pk=1)[0]


def person_saved(
    sender: object, instance: object, update_fields: object = None, **_: object
) -> None:
    """post_save of the user model: a person's name or standing may have changed. Signing in
    saves only `last_login`, which no page shows, so that save changes nothing."""
    if update_fields is not None and set(update_fields) == {"last_login"}:
        return
    TeamSettings.load()
    TeamSettings.objects.filter(pk=1).update(people_revision=F("people_revision") + 1)


class Profile(models.Model):
    """What a person sets for themselves: the time zone pages and emails show times in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # An IANA zone name ("Europe/Berlin"); empty for the team's display zone (TIME_ZONE).
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"Profile of {self.user}"


class Delegation(models.Model):
    """`person` hands their roles to `delegate` from `starts_at` until `ends_at`."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_given"
    )
    delegate = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="delegations_received"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Claimed by the task that tells the delegate the period has started (once).
    announced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["delegate", "ends_at"]),
            models.Index(fields=["person", "ends_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="delegation_ends_after_start",
                violation_error_message="A delegation must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(person=F("delegate")),
                name="delegation_not_to_self",
                violation_error_message="You cannot delegate to yourself.",
            ),
        ]

    def __str__(self) -> str:
        period = f"{self.starts_at:%Y-%m-%d} to {self.ends_at:%Y-%m-%d}"
        return f"{self.person} → {self.delegate} ({period})"


class DutyException(models.Model):
    """An admin's recorded exception to separation of duties: on `release`, `person` may hold
    more than one role."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="duty_exceptions")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "person"],
                name="one_duty_exception_per_person_per_release",
                violation_error_message="This person already has an exception on this release.",
            )
        ]

    def __str__(self) -> str:
        return f"Exception for {self.person} on {self.release}"
