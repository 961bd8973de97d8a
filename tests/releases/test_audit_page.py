"""The release page shows the latest audit events and links to the whole trail, which reads a
page at a time: a release with years of pipeline traffic never renders it all at once."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from releases.models import AuditEvent
from releases.selectors.audit import AUDIT_PAGE_SIZE
from releases.selectors.release_page import TIMELINE_ROWS


def add_events(release, actor, n: int) -> None:
    start = timezone.now() + timedelta(minutes=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            release=release,
            actor=actor,
            verb="evidence.recorded",
            subject=f"Event {i:04d}",
            created_at=start + timedelta(seconds=i),
        )
        for i in range(n)
    )


def test_a_short_trail_is_shown_whole_with_no_link(client, team, build):
    release = build.create()
    client.force_login(team.outsider)
    body = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert "See the whole audit trail" not in body
    assert body.count("<li><time datetime=") == AuditEvent.objects.filter(release=release).count()


def test_a_long_trail_shows_the_latest_events_and_links_to_the_rest(client, team, build):
    release = build.create()
    add_events(release, team.admin, 2 * AUDIT_PAGE_SIZE + 5)
    client.force_login(team.outsider)
    body = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    newest = 2 * AUDIT_PAGE_SIZE + 4
    assert f"Event {newest:04d}" in body
    assert f"Event {newest - TIMELINE_ROWS + 1:04d}" in body
    assert f"Event {newest - TIMELINE_ROWS:04d}" not in body
    assert reverse("release-audit", args=[release.pk]) in body

    audit = reverse("release-audit", args=[release.pk])
    first = client.get(audit).content.decode()
    assert f"Event {newest:04d}" in first and "Page 1 of 3" in first
    last = client.get(audit, {"page": 3}).content.decode()
    assert "Event 0000" in last and f"Event {newest:04d}" not in last
    # A page out of range, or not a number, is the nearest page rather than an error.
    assert client.get(audit, {"page": 99}).context["events"].number == 3
    assert client.get(audit, {"page": "x"}).context["events"].number == 1


def test_the_audit_page_of_no_release_is_a_404(client, team):
    client.force_login(team.outsider)
    assert client.get(reverse("release-audit", args=[999999])).status_code == 404
