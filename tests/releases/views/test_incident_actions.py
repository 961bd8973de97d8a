"""Incident actions (`incident-open`, `incident-rollback`, `incident-resolve`)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases import services
from releases.models import Incident, IncidentState, Release, RoleKey, Stage

from ...builders import Builder, Team, audit_events, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


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


class TestOpen:
    DATA = {"title": "Errors", "severity": "critical"}

    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.deployed()

    def test_it_requires_login(self, client, release):
        response = client.post(open_url(release), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(open_url(release))
        assert not release.incidents.exists()

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        # Anyone holding a role on the release may open an incident; an outsider may not.
        client.force_login(team.outsider)
        events = audit_events()
        assert client.post(open_url(release), self.DATA).status_code == 403
        assert not release.incidents.exists()
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[QA])
        response = client.post(open_url(release), self.DATA)
        assert response.status_code == 302
        assert release.incidents.exists(), messages_of(response)


class TestRollback:
    def test_it_requires_login(self, client, incident):
        response = client.post(rollback_url(incident))
        assert response.status_code == 302
        assert response["Location"] == login_url(rollback_url(incident))
        assert refresh(incident.release).stage != Stage.ROLLED_BACK

    def test_it_refuses_someone_without_the_role(self, client, team, incident):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(rollback_url(incident)).status_code == 403
        assert refresh(incident.release).stage != Stage.ROLLED_BACK
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(rollback_url(incident))
        assert response.status_code == 302
        assert refresh(incident.release).stage == Stage.ROLLED_BACK, messages_of(response)


class TestResolve:
    DATA = {"root_cause": "Config", "action_items": "Lint"}

    def test_it_requires_login(self, client, incident):
        response = client.post(resolve_url(incident), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(resolve_url(incident))
        assert refresh(incident).state != IncidentState.RESOLVED

    def test_it_refuses_someone_without_the_role(self, client, team, incident):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(resolve_url(incident), self.DATA).status_code == 403
        assert refresh(incident).state != IncidentState.RESOLVED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, incident):
        client.force_login(team[DEVOPS])
        response = client.post(resolve_url(incident), self.DATA)
        assert response.status_code == 302
        assert refresh(incident).state == IncidentState.RESOLVED, messages_of(response)


def test_an_unknown_incident_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("incident-resolve", args=[999999])).status_code == 404
