"""One-line fields (release name and version, incident title, a not-applicable reason, a
role's name and duties) refuse a line break with a message, in the services, on the pages and
in the admin, rather than store what would make every notice quoting it unsendable (#12)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from notifications.models import Notification
from releases import services
from releases.models import Release, Role, RoleKey

from ..builders import Builder, Team, messages_of, refresh
from .test_admin import assignment_post
from .test_release_train import edit_post

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
INJECTED = "Payments down\r\nBcc: attacker@evil.example"
TITLE_REFUSED = "The title must be on one line: remove the line break."
NAME_REFUSED = "The release name must be on one line: remove the line break."


def refused(caught: pytest.ExceptionInfo[ValidationError], field: str) -> list[str]:
    return caught.value.message_dict[field]


class TestIncidentTitle:
    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.deployed()

    def test_the_service_refuses_a_line_break_and_queues_nothing(self, team, release):
        notices = Notification.objects.count()
        with pytest.raises(ValidationError) as caught:
            services.incident_open(release_id=release.pk, actor=team[QA], title=INJECTED)
        assert refused(caught, "title") == [TITLE_REFUSED]
        assert not release.incidents.exists()
        assert Notification.objects.count() == notices

    @pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85", "\n"])
    def test_it_refuses_every_kind_of_line_break(self, team, release, char):
        with pytest.raises(ValidationError) as caught:
            services.incident_open(
                release_id=release.pk, actor=team[QA], title=f"Payments{char}down"
            )
        assert refused(caught, "title") == [TITLE_REFUSED]

    def test_a_tab_is_refused_too(self, team, release):
        with pytest.raises(ValidationError) as caught:
            services.incident_open(release_id=release.pk, actor=team[QA], title="Pay\tments")
        assert refused(caught, "title") == ["The title must be on one line: remove the tab."]

    def test_a_line_break_at_the_end_is_trimmed_as_a_form_would(self, team, release):
        incident = services.incident_open(
            release_id=release.pk, actor=team[QA], title="Payments down\r\n"
        )
        assert incident.title == "Payments down"

    def test_a_forged_post_gets_the_same_message_on_the_page(self, client, team, release):
        client.force_login(team[QA])
        response = client.post(
            reverse("incident-open", args=[release.pk]),
            {"title": INJECTED, "severity": "critical"},
        )
        assert response.status_code == 302
        assert messages_of(response) == [f"Title: {TITLE_REFUSED}"]
        assert not release.incidents.exists()


class TestReleaseName:
    def test_creating_refuses_a_line_break_in_the_name(self, team, build):
        with pytest.raises(ValidationError) as caught:
            build.create(name=INJECTED)
        assert refused(caught, "name") == [NAME_REFUSED]
        assert not Release.objects.exists()

    def test_creating_refuses_a_line_break_in_the_version(self, team, build):
        with pytest.raises(ValidationError) as caught:
            build.create(version="1.0.0\nBcc: attacker@evil.example", release_type="major")
        assert refused(caught, "version") == [
            "The version must be on one line: remove the line break."
        ]

    def test_editing_refuses_a_line_break_in_the_name(self, team, build):
        release = build.create(name="Payments")
        with pytest.raises(ValidationError) as caught:
            services.release_update(release_id=release.pk, actor=team[PM], data={"name": INJECTED})
        assert refused(caught, "name") == [NAME_REFUSED]
        assert refresh(release).name == "Payments"

    def test_a_name_stored_before_the_check_does_not_block_other_edits(self, team, build):
        release = build.create(name="Payments")
        Release.objects.filter(pk=release.pk).update(name=INJECTED)  # an older row
        changed = services.release_update(
            release_id=release.pk,
            actor=team[PM],
            data={"name": INJECTED, "summary": "Sent back unchanged, with a new summary."},
        )
        assert changed == ["summary"]

    def test_a_forged_post_to_the_edit_page_gets_the_same_message(self, client, team, build):
        release = build.create(name="Payments")
        client.force_login(team[PM])
        response = client.post(
            reverse("release-edit", args=[release.pk]), edit_post(release, name=INJECTED)
        )
        assert response.status_code == 200
        assert NAME_REFUSED in response.content.decode()
        assert refresh(release).name == "Payments"

    def test_a_forged_post_to_the_create_page_gets_the_same_message(self, client, team):
        client.force_login(team[PM])
        response = client.post(
            reverse("release-create"),
            {"name": INJECTED, "version": "1.0.0", "release_type": "major"},
        )
        assert response.status_code == 200
        assert NAME_REFUSED in response.content.decode()
        assert not Release.objects.exists()

    def test_the_admin_gives_the_same_message(self, client, team, build):
        release = build.create(name="Payments")
        client.force_login(team.admin)
        data = assignment_post(release)
        data["name"] = INJECTED
        response = client.post(reverse("admin:releases_release_change", args=[release.pk]), data)
        assert response.status_code == 200
        assert NAME_REFUSED in response.content.decode()
        assert refresh(release).name == "Payments"


class TestNotApplicableReason:
    @pytest.fixture
    def item_id(self, build: Builder) -> int:
        return build.create().checklist.get(template__key="backup-snapshot").pk  # DevOps's

    def test_the_service_refuses_a_line_break(self, team, item_id):
        with pytest.raises(ValidationError) as caught:
            services.checklist_mark_not_applicable(
                item_id=item_id, actor=team[DEVOPS], reason="No data\r\nBcc: a@evil.example"
            )
        assert refused(caught, "reason") == [
            "The reason must be on one line: remove the line break."
        ]

    def test_the_page_gives_the_same_message(self, client, team, item_id):
        client.force_login(team[DEVOPS])
        response = client.post(
            reverse("checklist-action", args=[item_id, "na"]), {"reason": "No data\nat all"}
        )
        assert messages_of(response) == [
            "Not applicable because: The reason must be on one line: remove the line break."
        ]


class TestRoleInTheAdmin:
    def test_a_line_break_in_a_role_name_is_refused(self, client, team: Team):
        role = Role.objects.get(key=QA)
        client.force_login(team.admin)
        data = {
            "name": "QA Lead\r\nBcc: attacker@evil.example",
            "position": role.position,
            "pre_release_duty": role.pre_release_duty,
            "release_day_duty": role.release_day_duty,
            "post_release_duty": "Watch\u2028the dashboards",
            "signoff_statement": role.signoff_statement,
        }
        response = client.post(reverse("admin:releases_role_change", args=[role.pk]), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert "The name must be on one line: remove the line break." in page
        assert "The post release duty must be on one line: remove the line break." in page
        assert refresh(role).name == "QA Lead"

    def test_a_one_line_edit_of_a_role_is_saved(self, client, team: Team):
        role = Role.objects.get(key=QA)
        client.force_login(team.admin)
        data = {
            "name": "QA Lead",
            "position": role.position,
            "pre_release_duty": role.pre_release_duty,
            "release_day_duty": role.release_day_duty,
            "post_release_duty": "Watch the dashboards",
            "signoff_statement": role.signoff_statement,
        }
        response = client.post(reverse("admin:releases_role_change", args=[role.pk]), data)
        assert response.status_code == 302
        assert refresh(role).post_release_duty == "Watch the dashboards"
