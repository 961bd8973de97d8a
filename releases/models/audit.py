"""The append-only audit trail: one row per change of state."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .release import Release


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
    # Set when the actor acted for someone else (a delegate for the person who delegated).
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=40)
    subject = models.CharField(max_length=120, blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    comment = models.TextField(blank=True)
    # Not auto_now_add: the hash chain covers the time, so `audit.record` sets it before the
    # insert and auto_now_add would overwrite it in pre_save.
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The hash chain (tamper evidence): sha256 over this row's content and the previous row's
    # `chain_hash` (see releases/chain.py); `manage.py verify_audit` recomputes it. Rows
    # written before the chain existed were hashed by migration 0011.
    chain_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["release", "created_at"]),
            # Insights counts events of one kind (rejections, stale approvals) in a period.
            models.Index(fields=["verb", "created_at"], name="audit_verb_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.verb} {self.subject}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise TypeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise TypeError("Audit events are append-only.")
