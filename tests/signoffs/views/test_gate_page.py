"""The sign-off page (`gate-detail`): what the gate's holder is about to sign."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import RoleKey
from signoffs.models import SignOff

from ...builders import HTML_TYPED, audit_events, gate, login_url
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


def url(signoff: SignOff) -> str:
    return reverse("gate-detail", args=[signoff.pk])


def test_it_requires_login(client, build):
    qa = gate(build.staging(), QA)
    response = client.get(url(qa))
    assert response.status_code == 302
    assert response["Location"] == login_url(url(qa))


def test_it_refuses_someone_without_the_role(client, team, build):
    qa = gate(build.staging(), QA)
    client.force_login(team[DEVOPS])
    events = audit_events()
    assert client.get(url(qa)).status_code == 403
    assert audit_events() == events


def test_it_works_for_the_holder(client, team, build):
    qa = gate(build.staging(), QA)
    client.force_login(team[QA])
    assert client.get(url(qa)).status_code == 200


def test_it_refuses_an_admin_who_does_not_hold_the_gate(client, team, build):
    qa = gate(build.staging(), QA)
    client.force_login(team.admin)
    assert client.get(url(qa)).status_code == 403


def test_an_unknown_gate_is_404(client, team):
    client.force_login(team[PM])
    assert client.get(reverse("gate-detail", args=[999999])).status_code == 404


def test_html_typed_into_fields_is_shown_as_text(client, team, build):
    release = build.staging(name=HTML_TYPED, summary=HTML_TYPED, known_issues=HTML_TYPED)
    build.approve(release, QA)
    client.force_login(team[QA])
    page = client.get(url(gate(release, QA))).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_its_query_count_is_pinned_and_does_not_grow_with_releases(client, team, build):
    qa = gate(build.staging(version="1.0.0", release_type="major"), QA)
    client.force_login(team[QA])
    # 14: the release page's selector loads the exceptions to separation of duties (#14).
    with assert_num_queries(14):
        assert client.get(url(qa)).status_code == 200
    for i in range(8):
        build.held(version=f"{i + 2}.0.0", release_type="major")
    with assert_num_queries(14):
        assert client.get(url(qa)).status_code == 200
