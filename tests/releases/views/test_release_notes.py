"""The release notes export (`release-notes`): the guide's Markdown template, as a download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import Release, RoleKey

from ...builders import HTML_TYPED, login_url

pytestmark = pytest.mark.django_db

QA, PM = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER


def url(release: Release) -> str:
    return reverse("release-notes", args=[release.pk])


def test_it_requires_login(client, build):
    release = build.create()
    response = client.get(url(release))
    assert response.status_code == 302
    assert response["Location"] == login_url(url(release))


def test_it_works_for_a_role_holder(client, team, build):
    release = build.create()
    client.force_login(team[QA])
    assert client.get(url(release)).status_code == 200


def test_it_works_for_someone_without_a_role(client, team, build):
    # The notes are what the release page shows, which anyone signed in may read.
    release = build.create()
    client.force_login(team.outsider)
    assert client.get(url(release)).status_code == 200


def test_an_unknown_release_is_404(client, team):
    client.force_login(team[PM])
    assert client.get(reverse("release-notes", args=[999999])).status_code == 404


def test_it_follows_the_guides_template(client, team, build):
    release = build.create(summary="Faster", notable_changes="- A\n- B", known_issues="None")
    client.force_login(team[QA])
    response = client.get(url(release))
    assert response["Content-Type"].startswith("text/markdown")
    assert f'release-notes-{release.version}.md"' in response["Content-Disposition"]
    text = response.content.decode()
    for heading in (
        "Release name / number:",
        "Date:",
        "## Summary",
        "## Notable changes",
        "## Migration steps (if any)",
        "## Known issues",
    ):
        assert heading in text
    assert "- A\n- B" in text


def test_html_typed_into_fields_is_carried_as_typed_in_a_download(client, team, build):
    # The notes file is Markdown carrying what was typed, served as a download; whatever renders
    # it escapes once (the pages, the HTML email).
    release = build.staging(name=HTML_TYPED, summary=HTML_TYPED, known_issues=HTML_TYPED)
    build.approve(release, QA)
    client.force_login(team[QA])
    export = client.get(url(release))
    assert export["Content-Disposition"].startswith("attachment")
    assert HTML_TYPED in export.content.decode()


def test_a_script_link_in_the_notes_is_inert_in_the_download(client, team, build):
    # Whatever renders the file next (a wiki, a Git host, a Markdown viewer), the link goes
    # nowhere; the rest of what the author typed is unchanged.
    release = build.create(
        summary="See [the plan](javascript:alert(1)) and [docs](https://example.com/plan).",
        known_issues="![pixel](data:text/html,<script>alert(1)</script>)",
    )
    client.force_login(team[QA])
    text = client.get(url(release)).content.decode()
    assert "See [the plan](#javascript:alert(1)) and [docs](https://example.com/plan)." in text
    assert "![pixel](#data:text/html,<script>alert(1)</script>)" in text
