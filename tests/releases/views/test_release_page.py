"""The release page (`release-detail`): everything about one release, and what you may do."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import Release, RoleKey

from ...builders import HTML_TYPED, login_url
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER


def url(release: Release) -> str:
    return reverse("release-detail", args=[release.pk])


def test_it_requires_login(client, build):
    release = build.staging()
    response = client.get(url(release))
    assert response.status_code == 302
    assert response["Location"] == login_url(url(release))


def test_it_works_for_a_role_holder(client, team, build):
    release = build.staging()
    client.force_login(team[QA])
    assert client.get(url(release)).status_code == 200


def test_it_works_for_someone_without_a_role(client, team, build):
    # Anyone signed in may read a release; what they may do on it is another matter (below).
    release = build.staging()
    client.force_login(team.outsider)
    assert client.get(url(release)).status_code == 200


def test_an_unknown_release_is_404(client, team):
    client.force_login(team[PM])
    assert client.get(reverse("release-detail", args=[999999])).status_code == 404


def test_a_non_holder_sees_no_sign_button(client, team, build):
    release = build.staging()
    client.force_login(team.outsider)
    page = client.get(url(release)).content.decode()
    assert "Open sign-off" not in page
    client.force_login(team[QA])
    page = client.get(url(release)).content.decode()
    assert page.count("Open sign-off") == 1


def test_markdown_is_rendered_in_the_page(client, team, build):
    release = build.create(notable_changes="- **Bold** change")
    client.force_login(team[QA])
    page = client.get(url(release)).content.decode()
    assert "<li><strong>Bold</strong> change</li>" in page


def test_html_typed_into_fields_is_shown_as_text(client, team, build):
    release = build.staging(name=HTML_TYPED, summary=HTML_TYPED, known_issues=HTML_TYPED)
    build.approve(release, QA)
    client.force_login(team[QA])
    page = client.get(url(release)).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;" in page


def test_its_query_count_is_pinned_and_does_not_grow_with_releases(client, team, build):
    release = build.staging(version="1.0.0", release_type="major")
    client.force_login(team[QA])
    # 13: the exceptions to separation of duties (#14) are one more prefetch; 14: who
    # delegates to the viewer now (the roles they act in), one query; 18: the Pipeline card
    # (#15), its latest gate checks, deployments and evidence and the latest failed scan.
    with assert_num_queries(18):
        assert client.get(url(release)).status_code == 200
    for i in range(8):
        build.held(version=f"{i + 2}.0.0", release_type="major")
    with assert_num_queries(18):
        assert client.get(url(release)).status_code == 200
