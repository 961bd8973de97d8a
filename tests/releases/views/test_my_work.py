"""My work (`my-work`): what the signed-in person can do now, across releases."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import RoleKey

from ...builders import HTML_TYPED, gate, login_url
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, CSM = RoleKey.QA_LEAD, RoleKey.CUSTOMER_SUCCESS_MANAGER
URL = reverse("my-work")


def test_it_requires_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == login_url(URL)


def test_it_works_for_a_role_holder(client, team):
    client.force_login(team[QA])
    assert client.get(URL).status_code == 200


def test_it_works_for_someone_without_a_role(client, team):
    # Everyone signed in has a to-do list, if only an empty one: there is no role to refuse.
    client.force_login(team.outsider)
    assert client.get(URL).status_code == 200


def test_it_lists_open_gates_items_and_handoffs(client, team, build):
    staging = build.staging(name="Stage me")
    planning = build.create(name="Plan me")
    client.force_login(team[QA])
    page = client.get(URL).content.decode()
    assert reverse("gate-detail", args=[gate(staging, QA).pk]) in page
    assert "Smoke tests prepared" in page  # QA's open pre-release item on Plan me
    assert "Test results and known issues" in page  # QA must send the pre-deploy gate
    assert f"{planning.name}" in page


def test_the_backup_sees_the_gate_too(client, team, build):
    staging = build.staging()
    client.force_login(team.backup)
    page = client.get(URL).content.decode()
    assert reverse("gate-detail", args=[gate(staging, QA).pk]) in page


def test_it_says_when_there_is_nothing_to_do(client, team, build):
    build.staging()
    client.force_login(team.outsider)
    assert "Nothing to do right now" in client.get(URL).content.decode()


def test_follow_ups_show_their_due_time(client, team, build):
    build.deployed()
    client.force_login(team[CSM])
    page = client.get(URL).content.decode()
    assert "Early customer feedback and adoption metrics" in page
    assert "due in" in page


def test_html_typed_into_fields_is_shown_as_text(client, team, build):
    release = build.staging(name=HTML_TYPED, summary=HTML_TYPED, known_issues=HTML_TYPED)
    build.approve(release, QA)
    client.force_login(team[QA])
    page = client.get(URL).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_its_query_count_is_pinned_and_does_not_grow_with_releases(client, team, build):
    build.staging(version="1.0.0", release_type="major")
    client.force_login(team[QA])
    # 11: who delegates to the user now (#14), one query whatever the rows.
    with assert_num_queries(11):
        assert client.get(URL).status_code == 200
    for i in range(8):
        build.held(version=f"{i + 2}.0.0", release_type="major")
    with assert_num_queries(11):
        assert client.get(URL).status_code == 200
