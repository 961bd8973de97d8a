"""The dashboard (`dashboard`): every release as a card, filters, pages and cached cards."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import caches
from django.urls import reverse

from releases import services
from releases.models import RoleKey
from signoffs import services as gate_services

from ...builders import HTML_TYPED, gate, login_url
from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
URL = reverse("dashboard")


def test_it_requires_login(client, build):
    build.staging()
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"] == login_url(URL)


def test_it_works_for_a_role_holder(client, team, build):
    build.staging()
    client.force_login(team[QA])
    assert client.get(URL).status_code == 200


def test_it_works_for_someone_without_a_role(client, team, build):
    # Every release is visible to everyone signed in: there is no role to refuse.
    build.staging()
    client.force_login(team.outsider)
    assert client.get(URL).status_code == 200


def test_it_shows_blocked_releases_and_why(client, team, build):
    release = build.staging(name="Held")
    build.proceed(release, decision="hold")
    services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "x"})
    client.force_login(team[PM])
    build.approve(release, DEVOPS)
    services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "y"})
    gate_services.gate_reject(gate_id=gate(release, QA).pk, actor=team[QA], reason="Crash")
    page = client.get(URL).content.decode()
    # Each blocker names the person who can clear it.
    assert "QA Lead (qa-lead) rejected: Crash" in page
    assert "DevOps Engineer (devops-engineer) put a hold on: Known issue in the import job." in page
    assert "Stale approvals to renew: DevOps Engineer (devops-engineer)" in page


def test_filters_and_search(client, team, build):
    build.create(name="Alpha", version="1.0.0", release_type="major")
    build.staging(name="Beta", version="2.0.0", release_type="major")
    client.force_login(team[PM])
    page = client.get(URL, {"stage": "staging"}).content.decode()
    assert "Beta" in page and "Alpha" not in page
    page = client.get(URL, {"q": "1.0"}).content.decode()
    assert "Alpha" in page and "Beta" not in page


def test_it_paginates(client, team, build):
    for i in range(21):
        build.create(name=f"R{i:02d}", version=f"{i + 1}.0.0", release_type="major")
    client.force_login(team[PM])
    page = client.get(URL).content.decode()
    assert "Page 1 of 2" in page
    # Newest first when no window is set: the oldest lands alone on page 2.
    assert "R20" in page and "R00" not in page
    second = client.get(URL, {"page": 2}).content.decode()
    assert second.count('class="card release-card"') == 1 and "R00" in second


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
    caches["fragments"].clear()  # Cold: every card is drawn.
    # One of them reads the active deploy freezes (the line above the cards, their flags).
    with assert_num_queries(11):
        assert client.get(URL).status_code == 200
    for i in range(8):
        build.held(version=f"{i + 2}.0.0", release_type="major")
    caches["fragments"].clear()
    with assert_num_queries(11):
        assert client.get(URL).status_code == 200


def test_warm_it_draws_no_card_and_its_query_count_is_pinned(client, team, build):
    def warm() -> None:
        client.get(URL)  # Draws and caches the cards.
        # Session, user, the navigation's role check, the active freezes, count, the page's
        # (id, revision) pairs, recently finished: no query for any card.
        with assert_num_queries(7):
            assert client.get(URL).status_code == 200

    build.staging(version="1.0.0", release_type="major")
    client.force_login(team[PM])
    warm()
    for i in range(8):
        build.approve(build.staging(version=f"{i + 2}.0.0", release_type="major"), QA)
    warm()


def rename(user, name: str) -> None:
    user.first_name, user.last_name = name.split()
    user.save()


def test_cached_cards_follow_every_kind_of_change(client, team, build):
    """After each change, the cached dashboard equals one drawn from nothing."""
    client.force_login(team[PM])

    def cards() -> str:
        page = client.get(URL).content.decode()
        return page[page.index('<ul class="releases">') : page.index('id="h-finished"')]

    def same_as_cold() -> None:
        warm = cards()
        caches["fragments"].clear()
        assert warm == cards()

    other = build.staging(name="Other")
    release = build.create(name="Watched")
    cards()
    steps: list[Callable[[], object]] = [
        lambda: build.pre_release_done(release),
        lambda: services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS]),
        lambda: build.approve(release, QA, RoleKey.UX_DESIGNER),
        lambda: gate_services.gate_reject(
            gate_id=gate(release, RoleKey.BUSINESS_ANALYST).pk,
            actor=team[RoleKey.BUSINESS_ANALYST],
            reason="Scope unclear",
        ),
        lambda: build.proceed(release, decision="hold"),
        lambda: services.release_update(
            release_id=release.pk, actor=team[PM], data={"summary": "New scope"}
        ),
        lambda: services.role_assign(
            release_id=release.pk, role_key=QA, holder=team.outsider, actor=team.admin
        ),
        lambda: build.approve(other, QA),
        # An account renamed in the admin: no release changes, yet the cards name the person.
        lambda: rename(team[RoleKey.BUSINESS_ANALYST], "Bea Renamed"),
    ]
    for step in steps:
        before = cards()
        step()
        after = cards()
        assert after != before, step
        same_as_cold()
