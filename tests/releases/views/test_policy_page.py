"""/team/policies/: everyone signed in reads the release policies; only admins change them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import AuditEvent, ReleasePolicy, RoleKey

from ...builders import login_url, messages_of

pytestmark = pytest.mark.django_db

PAGE = "/team/policies/"
QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
EXPEDITED = {
    "rule": "expedited",
    "name": "Expedited patch",
    "before_deploy": [QA, DEVOPS, PM],
    "retroactive_hours": "48",
}


def save(client, data: dict, release_type: str = "patch"):
    return client.post(reverse("team-policy-set", args=[release_type]), data)


def test_the_url_is_the_one_the_team_page_links_to():
    assert reverse("team-policies") == PAGE


def test_it_requires_login(client):
    assert client.get(PAGE).url == login_url(PAGE)
    target = reverse("team-policy-set", args=["patch"])
    assert save(client, EXPEDITED).url == login_url(target)
    assert not ReleasePolicy.objects.exists()


def test_it_is_read_only_for_everyone_else(client, team):
    client.force_login(team[PM])
    page = client.get(PAGE).content.decode()
    assert "Read-only: an admin changes these." in page
    assert "The guide: all seven gates approve before the deploy." in page
    assert reverse("team-policy-set", args=["patch"]) not in page
    assert 'name="before_deploy"' not in page


def test_a_forged_post_by_a_non_admin_is_a_403_and_changes_nothing(client, team):
    for user in (team[PM], team.outsider):
        client.force_login(user)
        assert save(client, EXPEDITED).status_code == 403
    assert not ReleasePolicy.objects.exists()
    assert not AuditEvent.objects.filter(verb="policy.changed").exists()


def test_an_admin_sets_an_expedited_policy_and_reads_it_back(client, team):
    client.force_login(team.admin)
    response = save(client, EXPEDITED)
    assert response.url == PAGE + "#policy-patch"
    assert "Releases created from now on follow it" in messages_of(response)[-1]
    page = client.get(PAGE).content.decode()
    assert "<strong>Expedited patch</strong> (expedited)" in page
    assert "Before the deploy: QA Lead, DevOps Engineer, Project Manager." in page
    assert "Within 48 hours after the deploy (retroactive): Business Analyst" in page
    assert "releases already created keep the rule they were created with" in page
    assert "You are an admin" in page
    assert f'action="{reverse("team-policy-set", args=["minor"])}"' in page


def test_a_bad_policy_is_refused_with_its_reason_and_nothing_changes(client, team):
    client.force_login(team.admin)
    response = save(client, {**EXPEDITED, "before_deploy": [QA, PM]})
    assert "DevOps Engineer before the deploy" in messages_of(response)[-1]
    response = save(client, {**EXPEDITED, "retroactive_hours": ""})
    assert "number of hours" in messages_of(response)[-1]
    response = save(client, EXPEDITED, release_type="epic")
    assert "not a release type" in messages_of(response)[-1]
    assert response.url == PAGE
    assert not ReleasePolicy.objects.exists()


def test_saving_the_same_policy_says_nothing_changed(client, team):
    client.force_login(team.admin)
    save(client, EXPEDITED)
    assert messages_of(save(client, EXPEDITED))[-1] == "Nothing changed."
    assert AuditEvent.objects.filter(verb="policy.changed").count() == 1


def test_the_guide_rule_removes_the_policy(client, team):
    client.force_login(team.admin)
    save(client, EXPEDITED)
    save(client, {"rule": "guide"})
    assert not ReleasePolicy.objects.exists()
