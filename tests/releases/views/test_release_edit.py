"""Editing a release (`release-edit`): scope changes warn first, and a stale form is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from releases import services
from releases.changes import edit_token
from releases.models import Release, RoleKey

from ...builders import audit_events, gate, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM, PROD = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
)


def url(release: Release) -> str:
    return reverse("release-edit", args=[release.pk])


class TestTheForm:
    def test_it_requires_login(self, client, build):
        release = build.create()
        response = client.get(url(release))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release))

    def test_it_refuses_someone_without_the_role(self, client, team, build):
        release = build.create()
        client.force_login(team[QA])
        events = audit_events()
        assert client.get(url(release)).status_code == 403
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, build):
        release = build.create()
        client.force_login(team[PROD])
        assert client.get(url(release)).status_code == 200


class TestSaving:
    def data(self, release: Release) -> dict[str, Any]:
        return {
            "name": "Renamed",
            "version": release.version,
            "release_type": release.release_type,
            "seen": edit_token(release),
        }

    def test_it_requires_login(self, client, build):
        release = build.create()
        response = client.post(url(release), self.data(release))
        assert response.status_code == 302
        assert response["Location"] == login_url(url(release))
        assert refresh(release).name != "Renamed"

    def test_it_refuses_someone_without_the_role(self, client, team, build):
        release = build.create()
        client.force_login(team[QA])
        events = audit_events()
        assert client.post(url(release), self.data(release)).status_code == 403
        assert refresh(release).name != "Renamed"
        assert audit_events() == events

    def test_it_works_for_the_holder(self, client, team, build):
        release = build.create()
        client.force_login(team[PROD])
        response = client.post(url(release), self.data(release))
        assert response.status_code == 302
        assert refresh(release).name == "Renamed", messages_of(response)


def test_an_unknown_release_is_404(client, team):
    client.force_login(team[PM])
    assert client.get(reverse("release-edit", args=[999999])).status_code == 404


def test_a_scope_change_warns_first_then_marks_approvals_stale(client, team, build):
    release = build.staging()
    build.approve(release, QA, DEVOPS)
    client.force_login(team[PROD])
    data = {
        "name": release.name,
        "version": release.version,
        "release_type": release.release_type,
        "summary": "New scope",
        # The fields its done pre-release items are backed by stay as they are.
        "notable_changes": release.notable_changes,
        "rollback_plan": release.rollback_plan,
        "smoke_test_plan": release.smoke_test_plan,
        "seen": edit_token(release),
    }
    response = client.post(url(release), data)
    assert response.status_code == 200
    assert "2 approval(s)" in response.content.decode()
    assert refresh(release).summary != "New scope"
    response = client.post(url(release), {**data, "confirm_stale": "on"}, follow=True)
    assert "2 approval(s) turned stale" in response.content.decode()
    assert gate(release, QA).stale


def test_an_edit_on_a_stale_form_is_refused(client, team, build):
    release = build.create()
    seen = edit_token(release)
    services.release_update(release_id=release.pk, actor=team[PM], data={"name": "First"})
    client.force_login(team[PROD])
    response = client.post(
        url(release),
        {"name": "Second", "version": release.version, "release_type": "minor", "seen": seen},
        follow=True,
    )
    assert "Someone changed this release while you were editing it" in response.content.decode()
    assert refresh(release).name == "First"
