"""Post-release follow-ups that come due after a production deploy."""

from __future__ import annotations

from django.db import models

from .release import Release


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
