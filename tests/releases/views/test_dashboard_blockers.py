"""Dashboard cards list open incidents, overdue hand-offs and roles nobody holds among their
blockers, in the pinned number of queries, and a cached card follows the clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from releases import services
from releases.models import RoleKey

from ...queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, DEVOPS, UX, PM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.UX_DESIGNER,
    RoleKey.PROJECT_MANAGER,
)
URL = reverse("dashboard")
OVERDUE = "Hand-off DevOps Engineer → Project Manager overdue since"


def cards(client) -> str:
    html = client.get(URL).content.decode()
    return html[html.index('<ul class="releases">') : html.index('id="h-finished"')]


def test_an_open_incident_is_a_blocker_with_its_owner(client, team, build):
    release = build.deployed(name="Payments")
    client.force_login(team[PM])
    assert "Open incident" not in cards(client)
    services.incident_open(release_id=release.pk, actor=team[QA], title="Checkout 500s")
    services.incident_open(release_id=release.pk, actor=team[QA], title="Slow search")
    assert "Open incident: “Slow search” and 1 more (DevOps Engineer (devops-engineer))" in (
        cards(client)
    )


def test_a_role_nobody_holds_is_a_blocker(client, team, build):
    release = build.staging()
    client.force_login(team[PM])
    assert "has no holder" not in cards(client)
    services.role_assign(release_id=release.pk, role_key=UX, holder=None, actor=team.admin)
    assert "UX Designer has no holder: an admin assigns one" in cards(client)


def test_an_overdue_hand_off_appears_on_a_cached_card_as_time_passes(client, team, build):
    release = build.deployed()
    handoff = release.handoffs.get(template__key="devops-to-project-manager")
    # Two minutes apart (well within the cache's lifetime), nothing about the release
    # changes (no revision bump): only the clock moves past the overdue time.
    with time_machine.travel(handoff.overdue_at - timedelta(minutes=1), tick=False):
        client.force_login(team[PM])
        before = cards(client)  # Drawn and cached with nothing overdue.
        assert OVERDUE not in before
    with time_machine.travel(handoff.overdue_at + timedelta(minutes=1), tick=False):
        later = cards(client)
        assert f"{OVERDUE} " in later
        assert "DevOps Engineer (devops-engineer) to send it" in later
        # The same as a card drawn from nothing.
        caches["fragments"].clear()
        assert cards(client) == later


def test_a_sent_overdue_hand_off_names_its_receiver_and_acknowledging_clears_it(
    client, team, build
):
    release = build.deployed()
    handoff = release.handoffs.get(template__key="devops-to-project-manager")
    services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="Healthy.")
    handoff.refresh_from_db()
    with time_machine.travel(handoff.overdue_at + timedelta(hours=1), tick=False):
        client.force_login(team[PM])
        assert "Project Manager (project-manager) to acknowledge it" in cards(client)
        services.handoff_acknowledge(handoff_id=handoff.pk, actor=team[PM])
        assert OVERDUE not in cards(client)


def test_the_query_count_stays_pinned_with_incidents_and_overdue_hand_offs(client, team, build):
    build.staging(version="1.0.0", release_type="major")
    client.force_login(team[QA])
    caches["fragments"].clear()
    with assert_num_queries(11):  # with the active deploy freezes (the line and card flags)
        assert client.get(URL).status_code == 200
    for i in range(4):
        release = build.deployed(version=f"{i + 2}.0.0", release_type="major")
        services.incident_open(release_id=release.pk, actor=team[QA], title=f"Errors {i}")
    services.role_assign(release_id=release.pk, role_key=UX, holder=None, actor=team.admin)
    with time_machine.travel(timezone.now() + timedelta(days=3), tick=False):
        client.force_login(team[QA])
        caches["fragments"].clear()
        with assert_num_queries(11):
            page = client.get(URL).content.decode()
        assert page.count("Open incident: “Errors") == 4
        assert page.count(OVERDUE) >= 4
        assert "UX Designer has no holder" in page
