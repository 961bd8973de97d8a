"""The freeze page, the deploy override form and POST, and where freezes show: the release
page's next step, the dashboard's line and its cards."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from releases.models import AuditEvent, DeployOverride, Freeze, FreezeKind, RoleKey

from ...builders import login_url, messages_of

pytestmark = pytest.mark.django_db
DEVOPS, PM = RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
URL = reverse("freezes")
# Wednesday 25 November 2026, 10:00 UTC: the next weekend freeze starts on Friday.
WEDNESDAY = datetime(2026, 11, 25, 10, tzinfo=UTC)
SATURDAY = datetime(2026, 11, 28, 10, tzinfo=UTC)


@pytest.fixture
def weekend(db):
    return Freeze.objects.create(
        reason="Weekend freeze",
        kind=FreezeKind.WEEKLY,
        start_weekday=4,
        start_time=time(16),
        end_weekday=0,
        end_time=time(8),
        time_zone="Europe/Berlin",
    )


WEEKLY_FORM = {
    "reason": "Weekend freeze",
    "kind": "weekly",
    "time_zone": "Europe/Berlin",
    "start_weekday": "4",
    "start_time": "16:00",
    "end_weekday": "0",
    "end_time": "08:00",
}


class TestFreezePage:
    def test_it_requires_login(self, client):
        assert client.get(URL)["Location"] == login_url(URL)

    def test_everyone_signed_in_sees_the_freezes_read_only(self, client, team, weekend):
        client.force_login(team.outsider)
        with time_machine.travel(WEDNESDAY, tick=False):
            page = client.get(URL).content.decode()
        assert (
            "Next freeze: <strong>Weekend freeze</strong>, Fri 27 Nov 16:00 to Mon 30 Nov 08:00 CET"
            in page
        )
        assert "every Friday 16:00 to Monday 08:00 (Europe/Berlin)" in page
        assert reverse("freeze-create") not in page and "Read-only" in page

    def test_it_says_which_freeze_is_in_force_and_until_when(self, client, team, weekend):
        client.force_login(team.outsider)
        with time_machine.travel(SATURDAY, tick=False):
            page = client.get(URL).content.decode()
        assert "Deploys are frozen until Mon 2026-11-30 08:00 CET: Weekend freeze." in page

    def test_an_admin_creates_a_weekly_freeze(self, client, team):
        client.force_login(team.admin)
        assert reverse("freeze-create") in client.get(URL).content.decode()
        response = client.post(reverse("freeze-create"), WEEKLY_FORM)
        assert response.status_code == 302 and messages_of(response) == ["Freeze created."]
        freeze = Freeze.objects.get()
        assert (freeze.start_weekday, freeze.start_time, freeze.time_zone) == (
            4,
            time(16),
            "Europe/Berlin",
        )

    def test_a_one_off_typed_in_berlin_is_stored_as_berlin_time(self, client, team):
        client.force_login(team.admin)
        client.post(
            reverse("freeze-create"),
            {
                "reason": "Migration",
                "kind": "one_off",
                "time_zone": "Europe/Berlin",
                "starts_at": "2026-12-01T09:00",
                "ends_at": "2026-12-01T17:00",
            },
        )
        freeze = Freeze.objects.get()
        assert freeze.starts_at == datetime(2026, 12, 1, 8, tzinfo=UTC)

    def test_a_one_off_without_an_end_is_refused_with_a_message(self, client, team):
        client.force_login(team.admin)
        events = AuditEvent.objects.count()
        response = client.post(
            reverse("freeze-create"),
            {
                "reason": "No end",
                "kind": "one_off",
                "time_zone": "UTC",
                "starts_at": "2026-12-01T09:00",
            },
        )
        assert messages_of(response) == ["A one-off freeze needs an end."]
        assert Freeze.objects.count() == 0 and AuditEvent.objects.count() == events

    @pytest.mark.parametrize("who", [PM, DEVOPS, "outsider"])
    def test_anyone_else_gets_403_and_nothing_changes(self, client, team, weekend, who):
        client.force_login(team.outsider if who == "outsider" else team[who])
        assert client.post(reverse("freeze-create"), WEEKLY_FORM).status_code == 403
        assert client.post(reverse("freeze-end", args=[weekend.pk])).status_code == 403
        assert Freeze.objects.count() == 1 and Freeze.objects.get().active

    def test_an_admin_ends_one(self, client, team, weekend):
        client.force_login(team.admin)
        response = client.post(reverse("freeze-end", args=[weekend.pk]))
        assert response.status_code == 302 and not Freeze.objects.get().active


class TestOverridePost:
    def url(self, release) -> str:
        return reverse("deploy-override", args=[release.pk])

    def test_it_requires_login(self, client, build):
        release = build.ready_to_deploy()
        response = client.post(self.url(release), {"reason": "Hotfix"})
        assert response["Location"].startswith(reverse("login"))
        assert DeployOverride.objects.count() == 0

    @pytest.mark.parametrize("who", [DEVOPS, "outsider"])
    def test_anyone_else_gets_403_and_nothing_changes(self, client, team, build, who):
        release = build.ready_to_deploy()
        client.force_login(team.outsider if who == "outsider" else team[who])
        events = AuditEvent.objects.count()
        assert client.post(self.url(release), {"reason": "Hotfix"}).status_code == 403
        assert client.post(self.url(release), {"reason": ""}).status_code == 403
        assert DeployOverride.objects.count() == 0 and AuditEvent.objects.count() == events

    def test_it_works_for_the_project_manager(self, client, team, build):
        release = build.ready_to_deploy()
        client.force_login(team[PM])
        response = client.post(self.url(release), {"reason": "Hotfix"})
        assert response["Location"] == reverse("release-detail", args=[release.pk]) + "#next-step"
        assert DeployOverride.objects.get().created_by == team[PM]

    def test_without_a_reason_it_says_so_and_changes_nothing(self, client, team, build):
        release = build.ready_to_deploy()
        client.force_login(team.admin)
        response = client.post(self.url(release), {"reason": ""})
        assert messages_of(response) == ["The reason: This field is required."]
        assert DeployOverride.objects.count() == 0


class TestReleasePage:
    def test_the_freeze_blocks_the_deploy_and_the_project_manager_gets_the_form(
        self, client, team, build, weekend
    ):
        with time_machine.travel(SATURDAY, tick=False):
            release = build.ready_to_deploy()
            url = reverse("release-detail", args=[release.pk])
            client.force_login(team[PM])
            page = client.get(url).content.decode()
            assert "Deploys are frozen until Mon 2026-11-30 08:00 CET: Weekend freeze" in page
            assert reverse("deploy-override", args=[release.pk]) in page
            client.force_login(team[DEVOPS])
            page = client.get(url).content.decode()
            assert "Deploys are frozen until" in page
            assert reverse("deploy-override", args=[release.pk]) not in page
            client.force_login(team[PM])
            client.post(reverse("deploy-override", args=[release.pk]), {"reason": "Hotfix"})
            page = client.get(url).content.decode()
            assert "Deploys are frozen until" not in page and "A deploy override waits" in page

    def test_no_freeze_no_form(self, client, team, build, weekend):
        with time_machine.travel(WEDNESDAY, tick=False):
            release = build.ready_to_deploy()
            client.force_login(team[PM])
            page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert reverse("deploy-override", args=[release.pk]) not in page

    def test_a_window_in_a_freeze_is_flagged(self, client, team, build, weekend):
        start = datetime(2026, 11, 27, 14, tzinfo=UTC)
        with time_machine.travel(WEDNESDAY, tick=False):
            release = build.create(window_start=start, window_end=start + timedelta(hours=2))
            client.force_login(team[PM])
            page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert "falls in a freeze: Weekend freeze, Fri 27 Nov 16:00 to Mon 30 Nov 08:00 CET" in page

    def test_it_reads_the_freezes_in_one_query_and_only_before_the_deploy(
        self, client, team, build, weekend
    ):
        release = build.ready_to_deploy()
        client.force_login(team[PM])

        def freeze_queries(pk: int) -> int:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(reverse("release-detail", args=[pk])).status_code == 200
            return sum('"releases_freeze"' in q["sql"] for q in captured.captured_queries)

        assert freeze_queries(release.pk) == 1
        with time_machine.travel(WEDNESDAY):  # a deploy outside the weekend freeze
            deployed = build.deployed()
        assert freeze_queries(deployed.pk) == 0
        assert freeze_queries(build.create().pk) == 0  # no window: nothing to flag


class TestDashboard:
    def test_it_names_the_next_freeze(self, client, team, weekend):
        client.force_login(team.outsider)
        with time_machine.travel(WEDNESDAY, tick=False):
            page = client.get(reverse("dashboard")).content.decode()
        assert "Next freeze: Weekend freeze, Fri 27 Nov 16:00 to Mon 30 Nov 08:00 CET." in page

    def test_a_card_is_flagged_once_a_freeze_covers_its_window_cached_or_not(
        self, client, team, build
    ):
        start = datetime(2026, 11, 27, 14, tzinfo=UTC)
        caches["fragments"].clear()
        with time_machine.travel(WEDNESDAY, tick=False):
            build.create(window_start=start, window_end=start + timedelta(hours=2))
            client.force_login(team[PM])
            assert "falls in a freeze" not in client.get(reverse("dashboard")).content.decode()
            # The card is cached now; a freeze changes no release, yet the card must follow.
            freeze = Freeze.objects.create(
                reason="Weekend freeze",
                kind=FreezeKind.WEEKLY,
                start_weekday=4,
                start_time=time(16),
                end_weekday=0,
                end_time=time(8),
                time_zone="Europe/Berlin",
            )
            assert (
                "falls in a freeze: Weekend freeze"
                in client.get(reverse("dashboard")).content.decode()
            )
            Freeze.objects.filter(pk=freeze.pk).update(active=False)
            assert "falls in a freeze" not in client.get(reverse("dashboard")).content.decode()
