"""Creating a release (`release-create`): the Project Manager's form, and what it refuses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import Release, RoleKey

from ...builders import audit_events, login_url, messages_of

pytestmark = pytest.mark.django_db

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER
URL = reverse("release-create")


class TestTheForm:
    def test_it_requires_login(self, client):
        response = client.get(URL)
        assert response.status_code == 302
        assert response["Location"] == login_url(URL)

    def test_it_refuses_someone_without_the_role(self, client, team):
        client.force_login(team[QA])
        events = audit_events()
        assert client.get(URL).status_code == 403
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team):
        client.force_login(team[PM])
        assert client.get(URL).status_code == 200


class TestCreating:
    DATA = {"name": "Nova", "version": "1.0.0", "release_type": "major"}

    def created(self) -> bool:
        return Release.objects.filter(name="Nova").exists()

    def test_it_requires_login(self, client):
        response = client.post(URL, self.DATA)
        assert response.status_code == 302
        assert response["Location"] == login_url(URL)
        assert not self.created()

    def test_it_refuses_someone_without_the_role(self, client, team):
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(URL, self.DATA).status_code == 403
        assert not self.created()
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team):
        client.force_login(team[PM])
        response = client.post(URL, self.DATA)
        assert response.status_code == 302
        assert self.created(), messages_of(response)


def test_a_bad_type_is_shown_on_the_field(client, team, build):
    build.deployed(version="1.0.0", release_type="major")
    client.force_login(team[PM])
    response = client.post(URL, {"name": "X", "version": "1.1.0", "release_type": "patch"})
    assert response.status_code == 200
    assert "is a minor bump from 1.0.0" in response.content.decode()
    assert not Release.objects.filter(name="X").exists()


def test_the_form_suggests_the_next_version_per_type(client, team, build):
    build.deployed(version="2.3.4", release_type="major")
    client.force_login(team[PM])
    page = client.get(URL).content.decode()
    assert "patch=2.3.5 minor=2.4.0 major=3.0.0" in page
