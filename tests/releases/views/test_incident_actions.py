"""The playbook's POST views: failed deploy, open, rollback, mitigate, fix forward, resolve,
action items and the review. Signed out: sent to sign in; not yours: 403 and nothing changes;
bad input: a message and nothing changes; yours: done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from releases import services
from releases.models import ActionItem, Incident, IncidentState, Release, RoleKey, Stage

from ...builders import Builder, Team, audit_events, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM, PROD = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
)


def open_url(release: Release) -> str:
    return reverse("incident-open", args=[release.pk])


def rollback_url(incident: Incident) -> str:
    return reverse("incident-rollback", args=[incident.pk])


def resolve_url(incident: Incident) -> str:
    return reverse("incident-resolve", args=[incident.pk])


@pytest.fixture
def incident(build: Builder, team: Team) -> Incident:
    """Open on a release in production, with an earlier release to roll back to."""
    build.closed(version="1.0.0", release_type="major")
    release = build.deployed(version="1.1.0", release_type="minor")
    return services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")


@pytest.fixture
def restored(incident: Incident, team: Team) -> Incident:
    services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Flag")
    return incident


def check_login(client, url: str, data: dict | None = None) -> None:
    response = client.post(url, data or {})
    assert response.status_code == 302
    assert response["Location"] == login_url(url)


def check_forbidden(client, user, url: str, data: dict | None = None) -> None:
    client.force_login(user)
    events = audit_events()
    assert client.post(url, data or {}).status_code == 403
    assert audit_events() == events


class TestOpen:
    DATA = {"title": "Errors", "severity": "critical"}

    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.deployed()

    def test_it_requires_login(self, client, release):
        check_login(client, open_url(release), self.DATA)
        assert not release.incidents.exists()

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        # Anyone holding a role on the release may open an incident; an outsider may not.
        check_forbidden(client, team.outsider, open_url(release), self.DATA)
        check_forbidden(client, team.outsider, open_url(release), {"title": ""})
        assert not release.incidents.exists()

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[QA])
        response = client.post(open_url(release), self.DATA)
        assert response.status_code == 302
        assert release.incidents.exists(), messages_of(response)


class TestFailedDeploy:
    DATA = {"what_failed": "Migration timed out", "severity": "critical"}

    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.approved()

    def url(self, release: Release) -> str:
        return reverse("release-failed-deploy", args=[release.pk])

    def test_it_requires_login(self, client, release):
        check_login(client, self.url(release), self.DATA)
        assert not release.incidents.exists()

    @pytest.mark.parametrize("role", [QA, PM])
    def test_it_is_forbidden_to_other_roles_even_with_bad_input(self, client, team, release, role):
        check_forbidden(client, team[role], self.url(release), self.DATA)
        check_forbidden(client, team[role], self.url(release), {"what_failed": ""})
        assert not release.incidents.exists() and refresh(release).deploy_failed_at is None

    def test_bad_input_is_a_message_and_changes_nothing(self, client, team, release):
        client.force_login(team[DEVOPS])
        response = client.post(self.url(release), {"what_failed": "", "severity": "critical"})
        assert "What failed: This field is required." in messages_of(response)
        assert not release.incidents.exists() and refresh(release).deploy_failed_at is None

    def test_a_release_in_staging_is_refused_with_a_reason(self, client, team, build):
        release = build.staging()
        client.force_login(team[DEVOPS])
        response = client.post(self.url(release), self.DATA)
        assert "record a failed production deploy" in " ".join(messages_of(response))
        assert not release.incidents.exists()

    def test_it_works_for_devops(self, client, team, release, settings):
        settings.ONCALL_EMAILS = ["oncall@example.com"]
        client.force_login(team[DEVOPS])
        response = client.post(self.url(release), self.DATA)
        assert response["Location"].endswith("#incidents")
        assert refresh(release).stage == Stage.APPROVED
        assert release.incidents.get().failed_deploy, messages_of(response)
        assert Notification.objects.filter(kind="incident_opened").count() == 4


class TestRollback:
    def test_it_requires_login(self, client, incident):
        check_login(client, rollback_url(incident))
        assert refresh(incident.release).stage != Stage.ROLLED_BACK

    def test_it_refuses_someone_without_the_role(self, client, team, incident):
        check_forbidden(client, team[QA], rollback_url(incident))
        assert refresh(incident.release).stage != Stage.ROLLED_BACK

    def test_it_works_for_the_holder(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(rollback_url(incident))
        assert response.status_code == 302
        assert refresh(incident.release).stage == Stage.ROLLED_BACK, messages_of(response)


class TestMitigate:
    def url(self, incident: Incident) -> str:
        return reverse("incident-mitigate", args=[incident.pk])

    def test_it_requires_login(self, client, incident):
        check_login(client, self.url(incident), {"mitigation": "Flag"})
        assert refresh(incident).mitigated_at is None

    def test_it_is_forbidden_to_the_qa_lead_even_with_bad_input(self, client, team, incident):
        check_forbidden(client, team[QA], self.url(incident), {"mitigation": "Flag"})
        check_forbidden(client, team[QA], self.url(incident), {"mitigation": ""})
        assert refresh(incident).mitigated_at is None

    def test_a_missing_mitigation_is_a_message(self, client, team, incident):
        client.force_login(team[PM])
        response = client.post(self.url(incident), {"mitigation": ""})
        assert "Mitigation: This field is required." in messages_of(response)
        assert refresh(incident).mitigated_at is None

    def test_it_works_for_the_project_manager(self, client, team, incident):
        client.force_login(team[PM])
        client.post(self.url(incident), {"mitigation": "Flag off"})
        assert refresh(incident).mitigation == "Flag off"


class TestFixForward:
    def url(self, incident: Incident) -> str:
        return reverse("incident-fix-forward", args=[incident.pk])

    DATA = {"name": "Hotfix", "version": "1.1.1"}

    def test_it_requires_login(self, client, incident):
        check_login(client, self.url(incident), self.DATA)
        assert not Release.objects.filter(fixes_incident=incident).exists()

    def test_it_is_forbidden_to_the_qa_lead(self, client, team, incident):
        check_forbidden(client, team[QA], self.url(incident), self.DATA)
        check_forbidden(client, team[QA], self.url(incident), {"name": ""})
        assert not Release.objects.filter(fixes_incident=incident).exists()

    def test_a_wrong_version_is_a_message(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(self.url(incident), {"name": "Hotfix", "version": "2.0.0"})
        assert "patch" in " ".join(messages_of(response))
        assert not Release.objects.filter(fixes_incident=incident).exists()
        assert response["Location"].endswith("#incidents")

    def test_devops_creates_the_patch_and_lands_on_it(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(self.url(incident), self.DATA)
        patch = Release.objects.get(fixes_incident=incident)
        assert response["Location"] == reverse("release-detail", args=[patch.pk])
        assert (patch.release_type, patch.created_by) == ("patch", team[DEVOPS])
        page = client.get(response["Location"]).content.decode()
        assert "This patch release fixes forward the incident" in page


class TestResolve:
    DATA = {"root_cause": "Config"}

    def test_it_requires_login(self, client, restored):
        check_login(client, resolve_url(restored), self.DATA)
        assert refresh(restored).state != IncidentState.RESOLVED

    def test_it_refuses_someone_without_the_role(self, client, team, restored):
        check_forbidden(client, team[QA], resolve_url(restored), self.DATA)
        check_forbidden(client, team[QA], resolve_url(restored), {})
        assert refresh(restored).state != IncidentState.RESOLVED

    def test_it_is_refused_until_service_is_restored(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(resolve_url(incident), self.DATA)
        assert "Restore service first" in " ".join(messages_of(response))
        assert refresh(incident).state == IncidentState.OPEN

    def test_it_works_for_the_holder(self, client, team, restored):
        client.force_login(team[DEVOPS])
        response = client.post(resolve_url(restored), self.DATA)
        assert response.status_code == 302
        assert refresh(restored).state == IncidentState.RESOLVED, messages_of(response)


class TestActionItems:
    def add_url(self, incident: Incident) -> str:
        return reverse("action-item-add", args=[incident.pk])

    def data(self, owner, days: int = 2) -> dict:
        due = timezone.localdate() + timedelta(days=days)
        return {"text": "Add a test", "owner_id": owner.pk if owner else "", "due_on": due}

    def test_adding_requires_login(self, client, team, incident):
        check_login(client, self.add_url(incident), self.data(team[QA]))
        assert not ActionItem.objects.exists()

    def test_adding_is_forbidden_to_the_qa_lead(self, client, team, incident):
        check_forbidden(client, team[QA], self.add_url(incident), self.data(team[QA]))
        check_forbidden(client, team[QA], self.add_url(incident), self.data(None))
        assert not ActionItem.objects.exists()

    @pytest.mark.parametrize(
        "owner, days, message",
        [
            (None, 2, "Owner: Choose who owns this action item."),
            ("qa-lead", -1, "The due date is in the past"),
        ],
    )
    def test_bad_input_is_a_message(self, client, team, incident, owner, days, message):
        client.force_login(team[PM])
        owner = team[QA] if owner else None
        response = client.post(self.add_url(incident), self.data(owner, days))
        assert message in " ".join(messages_of(response))
        assert not ActionItem.objects.exists()
        assert not Notification.objects.filter(kind="action_item_assigned").exists()

    def test_the_whole_triage_through_the_pages(self, client, team, restored):
        client.force_login(team[PM])
        client.post(self.add_url(restored), self.data(team[QA]))
        item = ActionItem.objects.get()
        assert Notification.objects.filter(kind="action_item_assigned").count() == 1
        # Another role may not close the QA Lead's item, even with a bad form.
        check_forbidden(client, team[PROD], reverse("action-item-done", args=[item.pk]))
        check_forbidden(client, team[PROD], reverse("action-item-defer", args=[item.pk]))
        # The owner closes it from the page.
        client.force_login(team[QA])
        page = client.get(reverse("release-detail", args=[restored.release_id])).content.decode()
        assert reverse("action-item-done", args=[item.pk]) in page
        response = client.post(reverse("action-item-defer", args=[item.pk]), {"reason": ""})
        assert "Reason: This field is required." in messages_of(response)
        client.post(reverse("action-item-done", args=[item.pk]), {"note": "Merged"})
        assert refresh(item).state == "done"
        client.force_login(team[DEVOPS])
        client.post(resolve_url(restored), {"root_cause": "Config"})
        close = reverse("incident-close-review", args=[restored.pk])
        check_forbidden(client, team[QA], close)
        client.force_login(team[PM])
        response = client.post(close)
        assert refresh(restored).review_closed_by == team[PM], messages_of(response)


def test_an_unknown_incident_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("incident-resolve", args=[999999])).status_code == 404
    assert client.post(reverse("action-item-done", args=[999999])).status_code == 404
