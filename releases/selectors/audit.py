"""Reads of the audit trail: one release's, page by page or for its CSV download, or a period's
(streamed)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet

from ..models import AuditEvent

# The rows of a period come from the database this many at a time (a server-side cursor on
# PostgreSQL), so a year of events never sits in memory at once.
CHUNK = 2000


def _events() -> QuerySet[AuditEvent]:
    # In chain order: the hash column of the download reads as the chain.
    return AuditEvent.objects.select_related("actor", "on_behalf_of", "release").order_by("id")


def release_audit(release_id: int) -> QuerySet[AuditEvent]:
    return _events().filter(release_id=release_id)


def period_audit(start: datetime, end: datetime) -> Iterator[AuditEvent]:
    """Every event from `start` (included) to `end` (excluded), releases' and the team's."""
    return _events().filter(created_at__gte=start, created_at__lt=end).iterator(CHUNK)


# Events per page of a release's audit page.
AUDIT_PAGE_SIZE = 100


def release_audit_page(release_id: int, page: str | int | None) -> Page:
    """Newest first; a page number out of range gives the nearest page, not an error."""
    events = (
        AuditEvent.objects.filter(release_id=release_id)
        .select_related("actor", "on_behalf_of")
        .order_by("-created_at", "-id")
    )
    return Paginator(events, AUDIT_PAGE_SIZE).get_page(page)
