"""The guide's checklist: its template lines and each release's items."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .release import Release
from .roles import Role


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
    # Links backing the tick (CI run, security scan, merged PRs), one per line.
    evidence = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["template__group", "template__position"]
        constraints = [
            models.UniqueConstraint(fields=["release", "template"], name="one_item_per_template")
        ]

    def __str__(self) -> str:
        return f"{self.template} [{self.state}]"
