"""Duties on the pages: `duty-done` (the role's holder or backup, with an optional note), the
release page's duties table, the sign-off page's pre-release duty, My work's "Your duties"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from releases.models import Duty, DutyPhase, DutyState, Release, RoleKey

from ...builders import Builder, audit_events, gate, login_url, messages_of, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PROD, PM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PRODUCT_MANAGER,
    RoleKey.PROJECT_MANAGER,
)


def duty(release: Release, key: str, phase: str) -> Duty:
    return release.duties.get(role__key=key, phase=phase)


def done_url(d: Duty) -> str:
    return reverse("duty-done", args=[d.pk])


def page_of(client, release: Release) -> str:
    return client.get(reverse("release-detail", args=[release.pk])).content.decode()


class TestMarkDone:
    @pytest.fixture
    def d(self, build: Builder) -> Duty:
        return duty(build.deployed(), QA, DutyPhase.RELEASE_DAY)

    def test_it_requires_login(self, client, d):
        response = client.post(done_url(d), {"note": "x"})
        assert response.status_code == 302
        assert response["Location"] == login_url(done_url(d))
        assert refresh(d).state == DutyState.OPEN

    def test_it_refuses_someone_without_the_role(self, client, team, d):
        client.force_login(team[DEVOPS])
        events = audit_events()
        assert client.post(done_url(d), {"note": "x"}).status_code == 403
        assert refresh(d).state == DutyState.OPEN
        assert audit_events() == events

    def test_bad_input_from_someone_without_the_role_is_still_403(self, client, team, d):
        client.force_login(team.outsider)
        assert client.post(done_url(d), {"note": "x" * 5001}).status_code == 403
        assert refresh(d).state == DutyState.OPEN

    def test_bad_input_from_the_holder_is_a_message_and_changes_nothing(self, client, team, d):
        client.force_login(team[QA])
        events = audit_events()
        response = client.post(done_url(d), {"note": "x" * 5001})
        assert response.status_code == 302
        assert any("Note" in m and "5000" in m for m in messages_of(response))
        assert refresh(d).state == DutyState.OPEN
        assert audit_events() == events

    def test_it_works_for_the_holder_with_a_note(self, client, team, d):
        client.force_login(team[QA])
        response = client.post(done_url(d), {"note": "Smoke tests green."})
        assert response.status_code == 302
        assert response["Location"].endswith("#duties")
        d = refresh(d)
        assert (d.state, d.done_by, d.note) == (DutyState.DONE, team[QA], "Smoke tests green.")
        assert messages_of(response) == ["Duty marked done."]

    def test_twice_is_a_message(self, client, team, d):
        client.force_login(team[QA])
        client.post(done_url(d), {"note": "First"})
        response = client.post(done_url(d), {"note": "Second"})
        assert messages_of(response)[-1] == "“Execute production smoke tests” is already done."
        assert refresh(d).note == "First"

    def test_an_unknown_duty_is_404(self, client, team):
        client.force_login(team[QA])
        assert client.post(reverse("duty-done", args=[987654])).status_code == 404

    def test_get_is_not_allowed(self, client, team, d):
        client.force_login(team[QA])
        assert client.get(done_url(d)).status_code == 405


class TestFinalDecision:
    def test_the_product_manager_records_it_and_the_deploy_may_go(self, client, team, build):
        release = build.approved()
        d = duty(release, PROD, DutyPhase.RELEASE_DAY)
        client.force_login(team[PROD])
        response = client.post(done_url(d), {"note": "Scope is what we promised."})
        assert messages_of(response) == ["Final release decision recorded."]
        assert refresh(d).state == DutyState.DONE

    def test_before_approval_it_is_a_message(self, client, team, build):
        release = build.staging()
        d = duty(release, PROD, DutyPhase.RELEASE_DAY)
        client.force_login(team[PROD])
        response = client.post(done_url(d), {"note": ""})
        assert "Cannot record the final release decision" in messages_of(response)[0]
        assert refresh(d).state == DutyState.OPEN

    def test_the_deploy_button_refuses_without_it(self, client, team, build):
        release = build.approved()
        for item in release.checklist.filter(template__optional=True):
            from releases import services

            services.checklist_mark_not_applicable(
                item_id=item.pk, actor=team[item.template.owner.key], reason="n/a"
            )
        client.force_login(team[DEVOPS])
        events = audit_events()
        response = client.post(reverse("release-action", args=[release.pk, "deploy"]))
        [message] = messages_of(response)
        assert "The Product Manager" in message and "Approve final release decision" in message
        assert refresh(release).stage == "approved"
        assert audit_events() == events


class TestReleasePage:
    def test_the_table_shows_who_did_what_and_offers_the_form_where_allowed(
        self, client, team, build
    ):
        release = build.deployed()
        client.force_login(team[QA])
        page = page_of(client, release)
        assert 'id="duties"' in page
        assert "Complete final test pass in staging" in page
        assert "Confirmed by approving the QA Lead gate" in page
        # The QA Lead's two open duties have a form; nobody else's does.
        for phase in (DutyPhase.RELEASE_DAY, DutyPhase.POST_RELEASE):
            assert done_url(duty(release, QA, phase)) in page
        assert done_url(duty(release, DEVOPS, DutyPhase.RELEASE_DAY)) not in page
        assert 'for="duty-note-' in page  # labelled note box
        # Forbidden is not explained to someone it does not concern.
        assert "Only the DevOps Engineer of this release" not in page

    def test_before_the_deploy_the_holder_is_told_why_not(self, client, team, build):
        release = build.approved()
        client.force_login(team[QA])
        page = page_of(client, release)
        assert done_url(duty(release, QA, DutyPhase.RELEASE_DAY)) not in page
        assert "Cannot mark “Execute production smoke tests” done" in page

    def test_the_product_manager_gets_the_final_decision_button(self, client, team, build):
        release = build.approved()
        client.force_login(team[PROD])
        page = page_of(client, release)
        assert done_url(duty(release, PROD, DutyPhase.RELEASE_DAY)) in page
        assert "Record final release decision" in page


class TestSignOffPage:
    def test_it_shows_what_approving_confirms(self, client, team, build):
        release = build.staging()
        client.force_login(team[QA])
        url = reverse("gate-detail", args=[gate(release, QA).pk])
        page = client.get(url).content.decode()
        assert "Approving confirms:</strong> Complete final test pass in staging" in page
        build.approve(release, QA)
        page = client.get(url).content.decode()
        assert "confirmed by qa-lead" in page


class TestMyWork:
    def test_it_lists_your_duties_with_a_link(self, client, team, build):
        release = build.deployed(name="Orion")
        client.force_login(team[QA])
        page = client.get(reverse("my-work")).content.decode()
        assert "Your duties" in page
        d = duty(release, QA, DutyPhase.RELEASE_DAY)
        assert f"/releases/{release.pk}/#duty-{d.pk}" in page
        assert "Execute production smoke tests" in page and "Orion" in page

    def test_the_product_manager_is_asked_for_the_final_decision(self, client, team, build):
        build.approved()
        client.force_login(team[PROD])
        assert (
            "Record the final release decision" in client.get(reverse("my-work")).content.decode()
        )

    def test_nothing_for_someone_without_a_role(self, client, team, build):
        build.deployed()
        client.force_login(team.outsider)
        assert "Your duties" not in client.get(reverse("my-work")).content.decode()


def test_every_open_state_is_listed_on_the_page_in_the_guides_order(client, team, build):
    release = build.create()
    client.force_login(team[PM])
    page = page_of(client, release)
    positions = [
        page.index(text)
        for text in (
            "Complete final test pass in staging",
            "Execute production smoke tests",
            "Monitor for quality regressions",
        )
    ]
    assert positions == sorted(positions)
    assert release.duties.filter(state=DutyState.OPEN).count() == 21
