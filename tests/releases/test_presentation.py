"""What people read: Markdown escaped once, times in the display zone, windows past midnight,
field names in words, dashboard filters that survive one bad value, the whole of what is signed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Notification
from releases import reminders, services
from releases.models import RoleKey

from ..builders import gate

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
BERLIN = ZoneInfo("Europe/Berlin")

TYPED = "Back up first: `dump > backup.json`, if A & B agree."


class TestMarkdownIsEscapedOnce:
    def test_on_the_release_and_sign_off_pages(self, client, team, build):
        release = build.staging(summary=TYPED, rollback_plan=TYPED)
        client.force_login(team[QA])
        for url in (
            reverse("release-detail", args=[release.pk]),
            reverse("gate-detail", args=[gate(release, QA).pk]),
        ):
            page = client.get(url).content.decode()
            assert "<code>dump &gt; backup.json</code>" in page, url
            assert "A &amp; B" in page, url
            assert "&amp;gt;" not in page and "&amp;amp;" not in page, url

    def test_typed_html_still_shows_as_text(self, client, team, build):
        release = build.staging(summary="<script>alert(1)</script> and <b>bold</b>")
        client.force_login(team[QA])
        for url in (
            reverse("release-detail", args=[release.pk]),
            reverse("gate-detail", args=[gate(release, QA).pk]),
        ):
            page = client.get(url).content.decode()
            assert "<script>alert" not in page and "<b>bold" not in page, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;" in page, url

    def test_the_notes_export_carries_what_the_author_typed(self, client, team, build):
        release = build.create(name="A & B", summary=TYPED)
        client.force_login(team[QA])
        export = client.get(reverse("release-notes", args=[release.pk])).content.decode()
        assert "# Release notes: A & B " in export
        assert TYPED in export

    def test_the_deploy_email_carries_the_notes_as_typed(self, team, build):
        build.deployed(known_issues=f"{TYPED}\n\n<script>alert(1)</script>")
        to_pm = Notification.objects.get(kind="release_deployed", to_email=f"{PM}@example.com")
        assert f"{TYPED}\n\n<script>alert(1)</script>" in to_pm.body_text
        assert "`dump &gt; backup.json`, if A &amp; B agree." in to_pm.body_html
        assert "&amp;gt;" not in to_pm.body_html and "&amp;amp;" not in to_pm.body_html
        assert "<script>" not in to_pm.body_html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in to_pm.body_html


def test_reminders_and_escalations_name_the_display_time_zone(team, build, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    opened = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    with time_machine.travel(opened, tick=False):
        build.staging(name="Apollo", window_start=opened + timedelta(hours=30))
    reminders.send_reminders(now=opened + timedelta(hours=25))
    digest = Notification.objects.get(kind="reminder_digest", to_email=f"{QA}@example.com")
    assert "(open since 2026-11-27 16:00 CET)" in digest.body_text
    escalation = Notification.objects.get(kind="escalation")
    assert "window opens 2026-11-28 22:00 CET" in escalation.body_text


class TestDeploymentWindowOnTheDashboard:
    def test_a_window_past_midnight_keeps_its_end_date(self, client, team, build, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        # Past midnight in Berlin, though not in UTC: the days are the local ones.
        start = datetime(2027, 1, 15, 23, 30, tzinfo=BERLIN)
        build.create(name="Apollo", window_start=start, window_end=start + timedelta(hours=1))
        client.force_login(team[QA])
        page = client.get(reverse("dashboard")).content.decode()
        assert "Window: Fri 15 Jan 2027, 23:30 \u2013 Sat 16 Jan 2027, 00:30" in page

    def test_a_window_within_a_day_gives_the_end_time_only(self, client, team, build, settings):
        settings.TIME_ZONE = "Europe/Berlin"
        start = datetime(2027, 1, 15, 20, 0, tzinfo=BERLIN)
        build.create(name="Apollo", window_start=start, window_end=start + timedelta(hours=2))
        build.create(name="Zeus")
        client.force_login(team[QA])
        page = client.get(reverse("dashboard")).content.decode()
        assert "Window: Fri 15 Jan 2027, 20:00 \u2013 22:00" in page
        assert "Window: not scheduled" in page


class TestErrorMessagesNameFieldsInWords:
    def test_a_missing_reason(self, client, team, build):
        release = build.create()
        client.force_login(team[PM])
        url = reverse("release-action", args=[release.pk, "cancel"])
        page = client.post(url, {"reason": ""}, follow=True).content.decode()
        assert "Reason: This field is required." in page
        assert "reason:" not in page

    def test_a_missing_root_cause(self, client, team, build):
        build.closed(version="1.0.0", release_type="major")
        release = build.deployed(version="1.1.0", release_type="minor")
        incident = services.incident_open(release_id=release.pk, actor=team[QA], title="500s")
        client.force_login(team[DEVOPS])
        url = reverse("incident-resolve", args=[incident.pk])
        page = client.post(url, {"root_cause": ""}, follow=True).content.decode()
        assert "Root cause: This field is required." in page
        assert "root_cause:" not in page


def test_a_bad_dashboard_filter_drops_only_itself_and_says_so(client, team, build):
    build.create(name="Apollo")
    build.create(name="Zeus")
    client.force_login(team[QA])
    page = client.get(reverse("dashboard"), {"stage": "bogus", "q": "Apollo"}).content.decode()
    assert "Apollo" in page and "Zeus" not in page  # the search still applies
    assert "Stage: Select a valid choice. bogus is not one of the available choices." in page
    assert "This filter was left out; the others still apply." in page


def test_the_sign_off_page_shows_the_release_type_and_links(client, team, build):
    release = build.staging(
        release_type="major", links="- [PR 42](https://github.com/octoacme/app/pull/42)"
    )
    client.force_login(team[QA])
    page = client.get(reverse("gate-detail", args=[gate(release, QA).pk])).content.decode()
    assert "Major (significant functionality or breaking changes)" in page
    assert "<h3>Links</h3>" in page
    assert '<a href="https://github.com/octoacme/app/pull/42"' in page
