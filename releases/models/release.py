"""A release: its stages, types, version rules and the queries the pages and services share."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

SEMVER_RE = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
semver_validator = RegexValidator(
    SEMVER_RE, "Enter a version as MAJOR.MINOR.PATCH, for example 2.4.1 (no leading zeros)."
)


class Stage(models.TextChoices):
    PLANNING = "planning", "Planning"
    STAGING = "staging", "Staging"
    APPROVED = "approved", "Approved"
    DEPLOYED = "deployed", "Deployed"
    CLOSED = "closed", "Closed"
    ROLLED_BACK = "rolled_back", "Rolled back"
    CANCELLED = "cancelled", "Cancelled"


# Stages of a release still being worked on, and of one that is finished.
ACTIVE_STAGES = (Stage.PLANNING, Stage.STAGING, Stage.APPROVED, Stage.DEPLOYED)
FINISHED_STAGES = (Stage.CLOSED, Stage.ROLLED_BACK, Stage.CANCELLED)


class ReleaseType(models.TextChoices):
    PATCH = "patch", "Patch (hotfix for a critical production issue)"
    MINOR = "minor", "Minor (incremental features and improvements)"
    MAJOR = "major", "Major (significant functionality or breaking changes)"


class ReleaseQuerySet(models.QuerySet["Release"]):
    def reached_production(self) -> ReleaseQuerySet:
        """Releases that were deployed to production, rolled back or not."""
        return self.filter(deployed_at__isnull=False)

    def known_good(self) -> ReleaseQuerySet:
        """Releases that reached production and were not rolled back."""
        return self.reached_production().exclude(stage=Stage.ROLLED_BACK)

    def in_production(self) -> ReleaseQuerySet:
        """The release running in production now: at most one (the deploy service keeps it so).

        A deploy supersedes the release it replaces; a rollback hands production back to the
        release rolled back to.
        """
        return self.known_good().filter(superseded_by__isnull=True)

    def last_known_good_before(self, release: Release) -> Release | None:
        """The previous release that reached production and was not rolled back."""
        return (
            self.known_good()
            .exclude(pk=release.pk)
            .filter(deployed_at__lt=release.deployed_at)
            .order_by("-deployed_at", "-id")
            .first()
        )

    def by_version(self) -> ReleaseQuerySet:
        """Highest semantic version first (by the zero-padded `version_key`, not the text)."""
        return self.order_by("-version_key", "-id")

    def active(self) -> ReleaseQuerySet:
        return self.filter(stage__in=ACTIVE_STAGES)


class Release(models.Model):
    # Fields whose change means people would be signing something other than what they saw.
    SCOPE_FIELDS = (
        "version",
        "release_type",
        "summary",
        "notable_changes",
        "migration_steps",
        "known_issues",
        "rollback_plan",
        "smoke_test_plan",
        "links",
    )
    EDITABLE_FIELDS = (
        "name",
        "window_start",
        "window_end",
        *SCOPE_FIELDS,
    )

    name = models.CharField("release name / number", max_length=120)
    version = models.CharField(max_length=32, validators=[semver_validator])
    release_type = models.CharField("type", max_length=8, choices=ReleaseType.choices)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.PLANNING)
    window_start = models.DateTimeField("deployment window opens", null=True, blank=True)
    window_end = models.DateTimeField("deployment window closes", null=True, blank=True)

    # The guide's release-notes template.
    summary = models.TextField(blank=True, max_length=5000)
    notable_changes = models.TextField(blank=True, max_length=20000)
    migration_steps = models.TextField("migration steps (if any)", blank=True, max_length=20000)
    known_issues = models.TextField(blank=True, max_length=20000)
    rollback_plan = models.TextField("rollback / mitigation plan", blank=True, max_length=20000)
    smoke_test_plan = models.TextField(blank=True, max_length=20000)
    links = models.TextField("links (PRs, CI run)", blank=True, max_length=5000)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped with every audit event of the release (every change goes through one), so
    # (id, revision) names one version of everything its dashboard card shows.
    revision = models.PositiveIntegerField(default=0, editable=False)
    staged_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    deployed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The release that replaced this one in production; its post-release work can still be
    # finished and closed, but only the release in production can be rolled back.
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The last production deploy attempt of an approved release that did not go through.
    deploy_failed_at = models.DateTimeField(null=True, blank=True)
    # A fix-forward patch: the incident it was created from.
    fixes_incident = models.ForeignKey(
        "releases.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fix_releases",
    )
    # `version` zero-padded ("000001.000010.000000"), so the database orders versions as
    # versions (1.10.0 after 1.9.0) on PostgreSQL and SQLite alike. Kept in step by save().
    version_key = models.CharField(max_length=40, editable=False, default="", db_index=True)

    objects = ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # A cancelled release gives its version back; any other holds it for good.
            models.UniqueConstraint(
                fields=["version"],
                condition=~Q(stage="cancelled"),
                name="release_version_unique_unless_cancelled",
                violation_error_message="Another release already has this version.",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=models.F("window_start")),
                name="release_window_ends_after_start",
                violation_error_message="The deployment window must close after it opens.",
            ),
        ]
        indexes = [
            models.Index(fields=["stage", "-created_at"]),
            models.Index(fields=["-deployed_at"]),
            # The dashboard: the few active releases among thousands finished, in its order,
            # and the recently finished list.
            models.Index(
                fields=["window_start", "-created_at", "-id"],
                condition=Q(stage__in=["planning", "staging", "approved", "deployed"]),
                name="release_active_dashboard_idx",
            ),
            models.Index(fields=["-updated_at"], name="release_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.version_key = version_key(self.version)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "version" in update_fields:
            kwargs["update_fields"] = {*update_fields, "version_key"}
        super().save(*args, **kwargs)

    @property
    def in_production(self) -> bool:
        """Reached production, not rolled back, not replaced since (see `in_production()`)."""
        return (
            self.deployed_at is not None
            and self.stage != Stage.ROLLED_BACK
            and self.superseded_by_id is None
        )


def version_key(version: str) -> str:
    """A sortable form of a MAJOR.MINOR.PATCH version ("" for a malformed one)."""
    parts = (version or "").split(".")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return ""
    return ".".join(p.zfill(6) for p in parts)
