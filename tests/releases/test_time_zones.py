"""Each person reads times in their own zone, named: pages, cached cards and emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.core.cache import caches
from django.urls import reverse

from notifications.models import Notification
from notifications.outbox import Recipient, notify
from releases import reminders
from releases.models import Profile, RoleKey
from releases.timefmt import mail_time

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER
NOON_UTC = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)  # winter: Berlin is UTC+1, New York UTC-5


def set_zone(client, zone: str):
    return client.post(reverse("profile"), {"time_zone": zone})


def test_a_person_picks_their_zone_and_pages_show_it(client, team, build):
    release = build.create(window_start=NOON_UTC, window_end=NOON_UTC + timedelta(hours=2))
    client.force_login(team[QA])
    page = client.get(reverse("profile"))
    assert "UTC (team default)" in page.content.decode()
    response = set_zone(client, "Europe/Berlin")
    assert response.status_code == 302
    assert Profile.objects.get(user=team[QA]).time_zone == "Europe/Berlin"
    body = client.get(reverse("release-detail", args=[release.pk])).content.decode()
    assert "Times in Europe/Berlin" in body
    assert "13:00" in body  # the window's noon UTC, read in Berlin
    # Back to the team's zone: stored as "", so a change of the team's zone reaches them.
    set_zone(client, "UTC")
    assert Profile.objects.get(user=team[QA]).time_zone == ""
    assert "Times in UTC" in client.get(reverse("my-work")).content.decode()


def test_a_zone_the_server_does_not_know_is_refused_and_changes_nothing(client, team):
    client.force_login(team[QA])
    response = set_zone(client, "Mars/Olympus_Mons")
    assert response.status_code == 400
    assert "is not a time zone this server knows" in response.content.decode()
    assert not Profile.objects.exists()


def test_signing_in_brings_the_zone_along(client, team):
    Profile.objects.create(user=team[QA], time_zone="America/New_York")
    client.post(reverse("login"), {"username": team[QA].username, "password": "octoacme"})
    assert "Times in America/New_York" in client.get(reverse("my-work")).content.decode()


def test_one_notice_reads_in_each_recipients_zone(team):
    Profile.objects.create(user=team[QA], time_zone="Europe/Berlin")
    notify(
        key="zone-test",
        kind="manual",
        to=[Recipient(team[QA].email, team[QA]), Recipient(team[PM].email, team[PM])],
        subject=f"Due {mail_time(NOON_UTC)}",
        context={"headline": f"It was due {mail_time(NOON_UTC)}.", "items": []},
    )
    berlin = Notification.objects.get(recipient=team[QA])
    utc = Notification.objects.get(recipient=team[PM])
    assert berlin.subject.endswith("Due 2026-01-15 13:00 CET")
    assert "It was due 2026-01-15 13:00 CET." in berlin.body_text
    assert "It was due 2026-01-15 12:00 UTC." in utc.body_text
    assert "[[at:" not in berlin.body_html + utc.body_html


def test_the_reminder_digest_names_the_recipients_zone(team, build, settings):
    Profile.objects.create(user=team[QA], time_zone="America/New_York")
    with time_machine.travel(NOON_UTC, tick=False):
        build.staging()
    with time_machine.travel(NOON_UTC + timedelta(hours=25)):
        reminders.send_reminders()
    digest = Notification.objects.get(kind="reminder_digest", recipient=team[QA])
    assert "open since 2026-01-15 07:00 EST" in digest.body_text


def test_dashboard_cards_are_cached_per_zone(client, team, build):
    build.staging(window_start=NOON_UTC, window_end=NOON_UTC + timedelta(hours=2))
    Profile.objects.create(user=team[QA], time_zone="Asia/Tokyo")
    pm, qa = client, client.__class__()
    pm.force_login(team[PM])
    qa.force_login(team[QA])

    def cards(c) -> str:
        page = c.get(reverse("dashboard")).content.decode()
        return page[page.index('<ul class="releases">') : page.index('id="h-finished"')]

    utc_cards, tokyo_cards = cards(pm), cards(qa)  # both cached now
    assert "12:00" in utc_cards and "21:00" in tokyo_cards
    caches["fragments"].clear()
    assert cards(qa) == tokyo_cards and cards(pm) == utc_cards
