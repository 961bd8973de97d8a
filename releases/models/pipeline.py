"""What pipelines tell the app through the API: evidence, gate checks and deployments."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .checklist import ChecklistItem
from .release import Release


class EvidenceKind(models.TextChoices):
    CI = "ci", "CI passed"
    SECURITY_SCAN = "security_scan", "Security scan"
    PRS_MERGED = "prs_merged", "PRs merged"
    SMOKE_TESTS = "smoke_tests", "Smoke tests on staging"


class EvidenceRecord(models.Model):
    """One result a pipeline reported, with its link and commit; a failed security scan
    un-ticks its checklist item and blocks the release."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="evidence_records")
    item = models.ForeignKey(
        ChecklistItem, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=16, choices=EvidenceKind.choices)
    passed = models.BooleanField()
    url = models.URLField(max_length=500)
    commit_sha = models.CharField(max_length=40)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["release", "kind", "created_at"])]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} {'passed' if self.passed else 'failed'} on {self.release}"
        )


class Decision(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PENDING = "pending", "Pending"


class GateCheck(models.Model):
    """A pipeline asked "may this release go to `environment` now?"; the answer, stored."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="gate_checks")
    environment = models.CharField(max_length=20)
    commit_sha = models.CharField(max_length=40)
    pipeline_url = models.URLField(max_length=500, blank=True)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    checks = models.JSONField(default=list)
    comment = models.CharField(max_length=500, blank=True)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["release", "created_at"])]

    def __str__(self) -> str:
        return f"Gate check {self.decision} for {self.release}"


class DeploymentState(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCESS = "success", "Success"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


class Deployment(models.Model):
    """A pipeline's deployment of a release to staging or production, and its outcome."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="deployments")
    environment = models.CharField(max_length=20)
    state = models.CharField(max_length=8, choices=DeploymentState.choices)
    commit_sha = models.CharField(max_length=40)
    log_url = models.URLField(max_length=500, blank=True)
    verification = models.TextField(blank=True)  # post-deploy verification results
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["release", "created_at"])]

    def __str__(self) -> str:
        return f"{self.environment} deployment of {self.release}: {self.state}"
