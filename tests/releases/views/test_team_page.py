"""The Team page: everyone signed in reads it; admins change defaults, separation of duties
and exceptions; a release's Project Manager reassigns roles on it; a forged POST is a 403."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from releases.models import (
    AuditEvent,
    DefaultHolder,
    DutyException,
    RoleAssignment,
    RoleKey,
    TeamSettings,
)

from ...factories import UserFactory
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values
TEAM = "/team/"


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def holder(release, key: str):
    return RoleAssignment.objects.get(release=release, role__key=key).holder


class TestReading:
    def test_it_requires_sign_in(self, client):
        response = client.get(TEAM)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_everyone_signed_in_reads_defaults_and_active_releases_without_forms(
        self, client, team, build
    ):
        release = build.create(name="Spring")
        build.closed(name="Old", version="5.0.0", release_type="major")
        client.force_login(team.outsider)
        page = client.get(TEAM).content.decode()
        assert "Team-wide default holders" in page
        assert "Spring" in page and ">Old " not in page  # active releases only
        assert f'id="release-{release.pk}"' in page
        assert "Separation of duties" in page and "<strong>On:</strong>" in page
        assert '<form method="post" action="/team/' not in page
        assert "Read-only" in page
        for link in ("/team/freezes/", "/team/policies/", "/me/delegations/"):
            assert f'href="{link}"' in page
        # Everyone's delegations are for admins only (403 for others): no link to a refusal.
        assert 'href="/team/delegations/"' not in page

    def test_the_nav_links_to_it(self, client, team):
        client.force_login(team.outsider)
        assert f'href="{TEAM}"' in client.get(reverse("my-work")).content.decode()

    def test_an_admin_sees_every_form(self, client, team, build):
        release = build.create()
        client.force_login(team.admin)
        page = client.get(TEAM).content.decode()
        assert reverse("team-default-set", args=[UX]) in page
        assert reverse("team-separation-set") in page
        assert reverse("team-assign", args=[release.pk, UX]) in page
        assert reverse("team-exception-record", args=[release.pk]) in page
        assert "Also apply to 1 active release that still uses the old default" in page

    def test_a_project_manager_gets_the_assign_forms_of_their_releases_only(
        self, client, team, build
    ):
        mine = build.create()
        theirs = build.create(version="9.0.0", release_type="major")
        RoleAssignment.objects.filter(release=theirs, role__key=PM).update(holder=team.outsider)
        client.force_login(team[PM])
        page = client.get(TEAM).content.decode()
        assert reverse("team-assign", args=[mine.pk, UX]) in page
        assert reverse("team-assign", args=[theirs.pk, UX]) not in page
        assert reverse("team-default-set", args=[UX]) not in page
        assert reverse("team-exception-record", args=[mine.pk]) not in page

    def test_its_query_count_is_pinned_and_does_not_grow_with_releases(self, client, team, build):
        build.create()
        client.force_login(team.admin)
        with assert_num_queries(8):
            assert client.get(TEAM).status_code == 200
        for i in range(5):
            build.staging(version=f"{i + 2}.0.0", release_type="major")
        with assert_num_queries(8):
            assert client.get(TEAM).status_code == 200


class TestDefaults:
    def test_an_admin_changes_a_default_and_applies_it_to_active_releases(
        self, client, team, build
    ):
        release = build.create()
        dana = UserFactory(username="dana")
        client.force_login(team.admin)
        response = client.post(
            reverse("team-default-set", args=[UX]), {"holder": dana.pk, "apply_to_active": "1"}
        )
        assert response.status_code == 302
        assert response["Location"] == f"{TEAM}#defaults"
        assert said(response) == ["Default UX Designer saved. Applied to 1 active release(s)."]
        assert DefaultHolder.objects.get(role__key=UX).holder == dana
        assert holder(release, UX) == dana

    def test_a_refused_default_changes_nothing_and_says_why(self, client, team, build):
        client.force_login(team.admin)
        response = client.post(reverse("team-default-set", args=[UX]), {"holder": team[QA].pk})
        assert response.status_code == 302
        assert "qa-lead already holds the QA Lead role by default" in said(response)[0]
        assert DefaultHolder.objects.get(role__key=UX).holder == team[UX]

    @pytest.mark.parametrize("who", [PM, "outsider"])
    def test_a_forged_post_from_a_non_admin_is_403(self, client, team, who):
        client.force_login(team[who] if who != "outsider" else team.outsider)
        for data in ({"holder": team.outsider.pk}, {"holder": "not a number"}):
            assert client.post(reverse("team-default-set", args=[UX]), data).status_code == 403
        assert DefaultHolder.objects.get(role__key=UX).holder == team[UX]
        assert not AuditEvent.objects.exists()


class TestSeparation:
    def test_an_admin_switches_it_off_and_on(self, client, team):
        client.force_login(team.admin)
        response = client.post(reverse("team-separation-set"), {})
        assert said(response) == ["Separation of duties is off."]
        assert not TeamSettings.load().separate_duties
        client.post(reverse("team-separation-set"), {"separate_duties": "1"})
        assert TeamSettings.load().separate_duties

    def test_a_forged_post_is_403(self, client, team):
        client.force_login(team[PM])
        assert client.post(reverse("team-separation-set"), {}).status_code == 403
        assert TeamSettings.load().separate_duties


class TestAssign:
    def test_the_project_manager_reassigns_a_role_on_their_release(self, client, team, build):
        release = build.create()
        newcomer = UserFactory(username="newcomer")
        client.force_login(team[PM])
        response = client.post(
            reverse("team-assign", args=[release.pk, UX]), {"holder": newcomer.pk}
        )
        assert response["Location"] == f"{TEAM}#release-{release.pk}"
        assert holder(release, UX) == newcomer

    def test_a_second_role_is_refused_with_the_reason(self, client, team, build):
        release = build.create()
        client.force_login(team[PM])
        response = client.post(
            reverse("team-assign", args=[release.pk, UX]), {"holder": team[QA].pk}
        )
        assert response.status_code == 302
        assert "qa-lead already holds the QA Lead role on this release" in said(response)[0]
        assert holder(release, UX) == team[UX]

    @pytest.mark.parametrize("who", [QA, "outsider"])
    def test_a_forged_post_from_anyone_else_is_403(self, client, team, build, who):
        release = build.create()
        client.force_login(team[who] if who != "outsider" else team.outsider)
        for data in ({"holder": team.outsider.pk}, {"holder": "x"}):
            response = client.post(reverse("team-assign", args=[release.pk, UX]), data)
            assert response.status_code == 403
        assert holder(release, UX) == team[UX]

    def test_a_project_manager_of_another_release_gets_403(self, client, team, build):
        release = build.create()
        RoleAssignment.objects.filter(release=release, role__key=PM).update(holder=team.outsider)
        client.force_login(team[PM])
        response = client.post(reverse("team-assign", args=[release.pk, UX]), {"holder": ""})
        assert response.status_code == 403
        assert holder(release, UX) == team[UX]


class TestExceptions:
    def test_an_admin_records_one_and_the_release_page_shows_it(self, client, team, build):
        release = build.create()
        client.force_login(team.admin)
        response = client.post(
            reverse("team-exception-record", args=[release.pk]),
            {"person": team[QA].pk, "reason": "Two-person team"},
        )
        assert said(response) == [
            f"Exception recorded: qa-lead may hold more than one role on {release}."
        ]
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert "Exceptions to separation of duties" in page
        assert "qa-lead may hold more than one role: Two-person team" in page

    def test_one_without_a_reason_is_refused(self, client, team, build):
        release = build.create()
        client.force_login(team.admin)
        response = client.post(
            reverse("team-exception-record", args=[release.pk]),
            {"person": team[QA].pk, "reason": " "},
        )
        assert said(response) == ["A reason for the exception is required."]
        assert not DutyException.objects.exists()

    def test_a_forged_post_is_403(self, client, team, build):
        release = build.create()
        client.force_login(team[PM])
        response = client.post(
            reverse("team-exception-record", args=[release.pk]),
            {"person": team[PM].pk, "reason": "I want to"},
        )
        assert response.status_code == 403
        assert not DutyException.objects.exists()


class TestTheDjangoAdmin:
    def test_it_is_branded(self, client, team):
        client.force_login(team.admin)
        page = client.get(reverse("admin:index")).content.decode()
        assert "OctoAcme Releases administration" in page
        assert "<title>OctoAcme Releases: roles, templates and the audit trail" in page

    def test_default_holders_are_read_only_there(self, client, team):
        # Changed on the Team page only, where the change is audited and the people told.
        default = DefaultHolder.objects.get(role__key=UX)
        client.force_login(team.admin)
        url = reverse("admin:releases_defaultholder_change", args=[default.pk])
        response = client.post(url, {"role": default.role_id, "holder": team.outsider.pk})
        assert response.status_code == 403
        assert DefaultHolder.objects.get(role__key=UX).holder == team[UX]
