"""The guide's roles, their team-wide default holders and who holds each on a release."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from .release import Release


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
