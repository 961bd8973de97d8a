"""The calendar feed (issue #15): a person's secret iCalendar URL listing the deployment windows
of active releases and the deploy freezes, with stable UIDs; and `/me/calendar/`, where the
person makes, replaces and revokes that URL."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from api import feeds
from api.models import CalendarFeed
from releases import services
from releases.models import AuditEvent, RoleKey

from ..builders import Builder, Team, login_url
from ..queries import assert_num_queries

pytestmark = pytest.mark.django_db

PM, QA = RoleKey.PROJECT_MANAGER, RoleKey.QA_LEAD
HOST = "127.0.0.1"  # SITE_URL's host: every UID ends with it


def window(days: int = 3, hours: int = 2) -> dict[str, datetime]:
    start = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return {"window_start": start, "window_end": start + timedelta(hours=hours)}


def path_of(url: str) -> str:
    return url.removeprefix("http://127.0.0.1:8000")


def fetch(url: str) -> Any:
    # A calendar client: no session, no cookie.
    return Client().get(path_of(url))


def events(response: Any) -> dict[str, Any]:
    calendar = Calendar.from_ical(response.content)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


@pytest.fixture
def url(team: Team) -> str:
    return feeds.calendar_feed_create(user=team[QA]).url


class TestTheFeed:
    def test_it_parses_and_lists_a_window_with_its_release(self, build: Builder, url: str):
        release = build.create(name="Orca", version="2.4.0", release_type="major", **window())
        response = fetch(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert "private" in response["Cache-Control"]
        assert Calendar.from_ical(response.content)["X-PUBLISHED-TTL"] == "PT1H"
        event = events(response)[f"release-{release.pk}-window@{HOST}"]
        assert str(event["SUMMARY"]) == "Deploy Orca 2.4.0"
        assert str(event["URL"]) == f"http://127.0.0.1:8000/releases/{release.pk}/"
        assert event.decoded("DTSTART") == release.window_start
        assert event.decoded("DTEND") == release.window_end
        # Written in UTC, with a "Z", so no VTIMEZONE is needed.
        assert event["DTSTART"].to_ical().endswith(b"Z")
        assert "DTSTAMP" in event
        description = str(event["DESCRIPTION"])
        assert "Stage: Planning" in description and "Gates: 0/7 approved" in description

    def test_a_moved_window_keeps_its_uid_and_bumps_its_sequence(
        self, build: Builder, team: Team, url: str
    ):
        release = build.create(**window())
        uid = f"release-{release.pk}-window@{HOST}"
        before = events(fetch(url))[uid]
        services.release_update(release_id=release.pk, actor=team[PM], data=window(days=5))
        after = events(fetch(url))
        assert list(after) == [uid]
        assert after[uid]["SEQUENCE"] > before["SEQUENCE"]
        assert after[uid].decoded("DTSTART") == before.decoded("DTSTART") + timedelta(days=2)

    def test_it_shows_gate_progress(self, build: Builder, team: Team, url: str):
        release = build.staging(**window())
        build.approve(release, QA)
        event = events(fetch(url))[f"release-{release.pk}-window@{HOST}"]
        assert "Stage: Staging" in str(event["DESCRIPTION"])
        assert "Gates: 1/7 approved" in str(event["DESCRIPTION"])

    def test_it_leaves_out_cancelled_and_closed_releases_and_those_without_a_window(
        self, build: Builder, team: Team, url: str
    ):
        listed = build.create(**window())
        build.create()  # no window
        cancelled = build.create(**window())
        services.release_cancel(release_id=cancelled.pk, actor=team[PM], reason="Dropped.")
        now = timezone.now()  # the deploy is recorded inside the window
        build.closed(window_start=now - timedelta(hours=1), window_end=now + timedelta(hours=1))
        assert list(events(fetch(url))) == [f"release-{listed.pk}-window@{HOST}"]

    def test_it_lists_a_one_off_freeze_and_eight_weeks_of_a_weekly_one(
        self, build: Builder, team: Team, url: str
    ):
        start = (timezone.now() + timedelta(days=10)).replace(microsecond=0)
        one_off = services.freeze_create(
            actor=team.admin, reason="Year end", starts_at=start, ends_at=start + timedelta(days=2)
        )
        weekly = services.freeze_create(
            actor=team.admin,
            reason="Weekend",
            kind="weekly",
            time_zone="Europe/Berlin",
            start_weekday=4,
            start_time=time(16),
            end_weekday=0,
            end_time=time(8),
        )
        frozen = build.create(window_start=start, window_end=start + timedelta(hours=2))
        found = events(fetch(url))
        description = str(found[f"release-{frozen.pk}-window@{HOST}"]["DESCRIPTION"])
        assert "Falls in the deploy freeze “Year end”" in description
        day = start.astimezone(UTC).strftime("%Y%m%d")
        event = found[f"freeze-{one_off.pk}-{day}@{HOST}"]
        assert str(event["SUMMARY"]) == "Deploy freeze: Year end"
        assert str(event["TRANSP"]) == "TRANSPARENT"
        weekends = [uid for uid in found if uid.startswith(f"freeze-{weekly.pk}-")]
        # Every weekend touching the next 8 weeks: 8, or 9 when one is under way now.
        assert len(weekends) in (8, 9)
        for uid in weekends:
            assert found[uid].decoded("DTSTART").astimezone(UTC).weekday() == 4  # a Friday

    def test_an_ended_freeze_leaves_the_feed(self, team: Team, url: str):
        start = timezone.now() + timedelta(days=1)
        freeze = services.freeze_create(
            actor=team.admin, reason="Audit", starts_at=start, ends_at=start + timedelta(hours=4)
        )
        services.freeze_end(freeze_id=freeze.pk, actor=team.admin)
        assert events(fetch(url)) == {}

    def test_its_queries_do_not_grow_with_the_releases(self, build: Builder, url: str):
        build.create(**window())
        with assert_num_queries(3):  # the feed, the releases with their gates, the freezes
            assert fetch(url).status_code == 200
        for days in range(4, 9):
            build.create(**window(days=days))
        with assert_num_queries(3):
            assert len(events(fetch(url))) == 6

    def test_it_answers_head(self, url: str):
        assert Client().head(path_of(url)).status_code == 200


class TestTheSecret:
    def test_a_wrong_secret_is_a_404_like_an_unknown_prefix(self, url: str):
        prefix, secret = path_of(url).removeprefix("/calendar/").removesuffix(".ics").split(".")
        wrong = ("B" if secret[0] != "B" else "C") + secret[1:]
        assert fetch(reverse("calendar-feed", args=[prefix, wrong])).status_code == 404
        assert fetch(reverse("calendar-feed", args=["0" * 12, secret])).status_code == 404
        assert fetch(f"/calendar/{prefix}.ics").status_code == 404
        assert fetch(url).status_code == 200

    def test_only_its_sha256_is_stored(self, team: Team, url: str):
        secret = path_of(url).removesuffix(".ics").rsplit(".", 1)[1]
        feed = CalendarFeed.objects.get(user=team[QA])
        assert feed.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in feed.prefix + feed.secret_hash

    def test_a_new_url_kills_the_old_one(self, team: Team, url: str):
        new = feeds.calendar_feed_create(user=team[QA]).url
        assert fetch(url).status_code == 404
        assert fetch(new).status_code == 200
        assert CalendarFeed.objects.filter(user=team[QA]).count() == 1
        assert AuditEvent.objects.filter(verb="calendar.regenerated", actor=team[QA]).exists()

    def test_a_revoked_url_is_a_404(self, team: Team, url: str):
        assert feeds.calendar_feed_revoke(user=team[QA]) is True
        assert fetch(url).status_code == 404
        assert AuditEvent.objects.filter(verb="calendar.revoked", actor=team[QA]).exists()
        assert feeds.calendar_feed_revoke(user=team[QA]) is False

    def test_a_deactivated_person_s_url_is_a_404(self, team: Team, url: str):
        team[QA].is_active = False
        team[QA].save(update_fields=["is_active"])
        assert fetch(url).status_code == 404


def signed_in(user: AbstractBaseUser) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestThePage:
    def test_it_requires_sign_in(self, team: Team):
        page = reverse("my-calendar")
        assert Client().get(page)["Location"] == login_url(page)
        new = reverse("my-calendar-create")
        assert Client().post(new)["Location"] == login_url(new)
        assert not CalendarFeed.objects.exists()

    def test_it_shows_the_url_once(self, team: Team):
        client = signed_in(team[QA])
        response = client.post(reverse("my-calendar-create"))
        feed = CalendarFeed.objects.get(user=team[QA])
        url = response.context["new_url"]
        assert url.startswith(f"http://127.0.0.1:8000/calendar/{feed.prefix}.")
        assert url.encode() in response.content
        assert "no-store" in response["Cache-Control"]
        again = client.get(reverse("my-calendar"))
        assert again.status_code == 200
        assert feed.prefix.encode() in again.content and url.encode() not in again.content
        assert fetch(url).status_code == 200

    def test_each_person_manages_only_their_own_url(self, team: Team, url: str):
        theirs = CalendarFeed.objects.get(user=team[QA])
        client = signed_in(team.outsider)
        assert theirs.prefix.encode() not in client.get(reverse("my-calendar")).content
        response = client.post(reverse("my-calendar-revoke"))
        assert response["Location"] == reverse("my-calendar")
        # The outsider had no URL: nothing of the QA Lead's changed.
        assert fetch(url).status_code == 200
        client.post(reverse("my-calendar-create"))
        assert fetch(url).status_code == 200
        assert CalendarFeed.objects.count() == 2

    def test_the_holder_revokes_their_url(self, team: Team, url: str):
        response = signed_in(team[QA]).post(reverse("my-calendar-revoke"), follow=True)
        assert b"Calendar URL revoked" in response.content
        assert fetch(url).status_code == 404

    def test_my_work_links_to_it(self, team: Team):
        response = signed_in(team[QA]).get(reverse("my-work"))
        assert reverse("my-calendar").encode() in response.content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded")
def test_ten_clicks_at_once_leave_one_working_url(team: Team):
    barrier = threading.Barrier(10)
    urls: list[str] = []

    def click() -> None:
        barrier.wait()
        try:
            urls.append(feeds.calendar_feed_create(user=team[QA]).url)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(urls) == 10  # nobody got a unique-key error
    assert CalendarFeed.objects.filter(user=team[QA]).count() == 1
    assert sorted(fetch(u).status_code for u in urls) == [200] + [404] * 9
    created = AuditEvent.objects.filter(verb__startswith="calendar.", actor=team[QA])
    assert (
        sorted(created.values_list("verb", flat=True))
        == ["calendar.created"] + ["calendar.regenerated"] * 9
    )
