"""The guide's vocabulary: releases, roles, assignments, checklist, hand-offs, incidents, audit.

State changes never happen here: they live in `releases.services` (and `signoffs.services`),
which lock rows, check the transition table in `releases.lifecycle` and write audit events.
"""

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


class Role(models.Model):
    """One of the guide's seven release roles, seeded by a data migration."""

    key = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80, unique=True)
    position = models.PositiveSmallIntegerField()
    pre_release_duty = models.CharField(max_length=200)
    release_day_duty = models.CharField(max_length=200)
    post_release_duty = models.CharField(max_length=200)
    signoff_statement = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]

    def __str__(self) -> str:
        return self.name


class RoleKey(models.TextChoices):
    """The seeded role keys the rules refer to by name."""

    QA_LEAD = "qa-lead", "QA Lead"
    DEVOPS_ENGINEER = "devops-engineer", "DevOps Engineer"
    BUSINESS_ANALYST = "business-analyst", "Business Analyst"
    UX_DESIGNER = "ux-designer", "UX Designer"
    CUSTOMER_SUCCESS_MANAGER = "customer-success-manager", "Customer Success Manager"
    PRODUCT_MANAGER = "product-manager", "Product Manager"
    PROJECT_MANAGER = "project-manager", "Project Manager"


class DefaultHolder(models.Model):
    """Team-wide default holder (and backup) of a role, copied into every new release."""

    role = models.OneToOneField(Role, on_delete=models.CASCADE, related_name="default_holder")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["role__position"]
        constraints = [
            models.CheckConstraint(
                condition=Q(holder__isnull=True)
                | Q(backup__isnull=True)
                | ~Q(holder=models.F("backup")),
                name="default_holder_not_own_backup",
            )
        ]

    def __str__(self) -> str:
        return f"Default {self.role}"


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


class RoleAssignment(models.Model):
    """Who holds a role on one release, plus an optional backup who may act for them."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="assignments")
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["role__position"]
        constraints = [
            models.UniqueConstraint(
                fields=["release", "role"],
                name="one_assignment_per_role_per_release",
                violation_error_message="This role already has a holder on this release.",
            ),
            models.CheckConstraint(
                condition=Q(holder__isnull=True)
                | Q(backup__isnull=True)
                | ~Q(holder=models.F("backup")),
                name="assignment_holder_not_own_backup",
                violation_error_message="The backup must be someone other than the holder.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} on {self.release}"


class ChecklistGroup(models.TextChoices):
    PRE_RELEASE = "pre_release", "Pre-release requirements"
    DEPLOYMENT = "deployment", "Deployment checklist"


class ChecklistPhase(models.TextChoices):
    """When an item can be worked on; the stages each phase allows are in `lifecycle`."""

    PRE_RELEASE = "pre_release", "Before staging"
    PRE_DEPLOY = "pre_deploy", "Before production deploy"
    POST_DEPLOY = "post_deploy", "After production deploy"


class ChecklistKind(models.TextChoices):
    MANUAL = "manual", "Ticked by its owner"
    GATE = "gate", "Ticked by its sign-off gate"
    EVENT = "event", "Ticked by a lifecycle step"


class ChecklistTemplate(models.Model):
    """One line of the guide's pre-release requirements or deployment checklist."""

    key = models.SlugField(max_length=60, unique=True)
    group = models.CharField(max_length=16, choices=ChecklistGroup.choices)
    position = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=200)
    owner = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="+")
    phase = models.CharField(max_length=16, choices=ChecklistPhase.choices)
    kind = models.CharField(
        max_length=8, choices=ChecklistKind.choices, default=ChecklistKind.MANUAL
    )
    # The guide's "(if needed)" / "(if applicable)": such an item may be marked not applicable.
    optional = models.BooleanField(default=False)

    class Meta:
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(fields=["group", "position"], name="checklist_template_order")
        ]

    def __str__(self) -> str:
        return self.text


class ChecklistState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class ChecklistItem(models.Model):
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="checklist")
    template = models.ForeignKey(ChecklistTemplate, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        max_length=16, choices=ChecklistState.choices, default=ChecklistState.OPEN
    )
    reason = models.CharField("not applicable because", max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template__group", "template__position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "template"], name="one_item_per_template")
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.state}]"


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
    # The QA Lead -> DevOps Engineer hand-off is a gate: it records "proceed" or "hold".
    is_gate = models.BooleanField(default=False)
    # Follow-up window after production deploy, e.g. 24-48 h for customer feedback.
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
    # Set at production deploy for follow-ups; the reminder sweep reads these.
    due_at = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["template__position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "template"], name="one_handoff_per_template")
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.state}]"


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


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise TypeError("Audit events are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class AuditEvent(models.Model):
    """Who did what, when, from which state to which. Append-only (a DB trigger on PostgreSQL)."""

    release = models.ForeignKey(
        Release, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=40)
    subject = models.CharField(max_length=120, blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["release", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.subject}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")


class FollowUpKind(models.TextChoices):
    POST_RELEASE_DUTIES = "post_release_duties", "Post-release duties (+24 h)"
    FEEDBACK_OVERDUE = "feedback_overdue", "Customer feedback hand-off overdue (+48 h)"


class FollowUp(models.Model):
    """A post-release duty with its due time; a periodic sweep acts on it once."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(max_length=24, choices=FollowUpKind.choices)
    due_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["release", "kind"], name="one_follow_up_per_kind")
        ]
        indexes = [models.Index(fields=["done_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.release}"
