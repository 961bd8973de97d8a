"""Stage actions (`release-action`): move to staging, deploy, close and cancel a release."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import Release, RoleKey, Stage

from ...builders import Builder, audit_events, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def url(release: Release, action: str) -> str:
    return reverse("release-action", args=[release.pk, action])


class TestMoveToStaging:
    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.pre_release_done(build.create())

    def test_it_requires_login(self, client, release):
        response = client.post(url(release, "stage"))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release, "stage"))
        assert refresh(release).stage != Stage.STAGING

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(url(release, "stage")).status_code == 403
        assert refresh(release).stage != Stage.STAGING
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[DEVOPS])
        response = client.post(url(release, "stage"))
        assert response.status_code == 302
        assert refresh(release).stage == Stage.STAGING, messages_of(response)


class TestDeploy:
    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.ready_to_deploy()

    def test_it_requires_login(self, client, release):
        response = client.post(url(release, "deploy"))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release, "deploy"))
        assert refresh(release).stage != Stage.DEPLOYED

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        client.force_login(team[PM])
        events = audit_events()
        assert client.post(url(release, "deploy")).status_code == 403
        assert refresh(release).stage != Stage.DEPLOYED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[DEVOPS])
        response = client.post(url(release, "deploy"))
        assert response.status_code == 302
        assert refresh(release).stage == Stage.DEPLOYED, messages_of(response)


class TestClose:
    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.post_release_done(build.deployed())

    def test_it_requires_login(self, client, release):
        response = client.post(url(release, "close"))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release, "close"))
        assert refresh(release).stage != Stage.CLOSED

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        client.force_login(team[DEVOPS])
        events = audit_events()
        assert client.post(url(release, "close")).status_code == 403
        assert refresh(release).stage != Stage.CLOSED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[PM])
        response = client.post(url(release, "close"))
        assert response.status_code == 302
        assert refresh(release).stage == Stage.CLOSED, messages_of(response)


class TestCancel:
    DATA = {"reason": "Descoped"}

    @pytest.fixture
    def release(self, build: Builder) -> Release:
        return build.create()

    def test_it_requires_login(self, client, release):
        response = client.post(url(release, "cancel"), self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release, "cancel"))
        assert refresh(release).stage != Stage.CANCELLED

    def test_it_refuses_someone_without_the_role(self, client, team, release):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(url(release, "cancel"), self.DATA).status_code == 403
        assert refresh(release).stage != Stage.CANCELLED
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, release):
        client.force_login(team[PM])
        response = client.post(url(release, "cancel"), self.DATA)
        assert response.status_code == 302
        assert refresh(release).stage == Stage.CANCELLED, messages_of(response)


def test_an_unknown_release_is_404(client, team):
    client.force_login(team[PM])
    assert client.post(reverse("release-action", args=[999999, "close"])).status_code == 404
