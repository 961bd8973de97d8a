"""One answer to "may this person do this now, and why not": the page shows the lifecycle's
verdict, and the service refuses with the very same words."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from octoacme.errors import Refused
from releases import lifecycle
from releases.models import Release, RoleKey, Stage
from releases.permissions import held_role_keys
from signoffs import services as gate_services
from signoffs.selectors import gate_decisions

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db
PM, QA, DEVOPS = RoleKey.PROJECT_MANAGER, RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER


def page(client, user, url: str) -> str:
    client.force_login(user)
    return html.unescape(client.get(url).content.decode())


def test_a_step_not_yet_possible_is_explained_with_the_services_words(client, team, build):
    release = build.staging()
    verdict = lifecycle.release_action(
        team[DEVOPS], release, "deploy", held_role_keys(team[DEVOPS], release)
    )
    assert not verdict and not verdict.forbidden
    shown = page(client, team[DEVOPS], reverse("release-detail", args=[release.pk]))
    assert f"Not yet: {verdict.reason}" in shown
    assert "Record production deploy" not in shown
    client.post(reverse("release-action", args=[release.pk, "deploy"]))
    after = page(client, team[DEVOPS], reverse("release-detail", args=[release.pk]))
    assert after.count(verdict.reason) == 2  # the refusal message, and the explanation
    assert refresh(release).stage == Stage.STAGING


def test_someone_elses_step_is_neither_offered_nor_explained(client, team, build):
    release = build.approved()
    shown = page(client, team[QA], reverse("release-detail", args=[release.pk]))
    assert "Record production deploy" not in shown
    assert "Not yet:" not in shown
    assert client.post(reverse("release-action", args=[release.pk, "deploy"])).status_code == 403


def test_the_final_gate_page_says_what_it_waits_for_as_the_service_does(client, team, build):
    release = build.staging()
    build.six(release)
    final = gate(release, PM)
    verdict = gate_decisions(release, final, team[PM])["approve"]
    assert "has not said “proceed”" in verdict.reason
    shown = page(client, team[PM], reverse("gate-detail", args=[final.pk]))
    assert verdict.reason in shown
    assert "✓ Approve" not in shown
    with pytest.raises(Refused) as refused:
        gate_services.gate_approve(gate_id=final.pk, actor=team[PM])
    assert refused.value.message == verdict.reason


def test_a_superseded_release_explains_why_it_cannot_be_rolled_back(client, team, build):
    from releases import services

    build.deployed(version="1.0.0", release_type="major")
    older = build.deployed(version="1.1.0", release_type="minor")
    build.deployed(version="1.2.0", release_type="minor")
    incident = services.incident_open(release_id=older.pk, actor=team[QA], title="Old bug")
    older = Release.objects.get(pk=older.pk)
    verdict = lifecycle.release_action(
        team[DEVOPS], older, "roll_back", held_role_keys(team[DEVOPS], older)
    )
    assert "Only the release in production can be rolled back" in verdict.reason
    shown = page(client, team[DEVOPS], reverse("release-detail", args=[older.pk]))
    assert verdict.reason in shown
    assert "Record rollback" not in shown
    with pytest.raises(Refused) as refused:
        services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
    assert refused.value.message == verdict.reason
