"""Issue #19: My work lists only what can still be done, and a refused edit keeps the typed text."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from octoacme.errors import Refused
from releases import selectors, services
from releases.changes import edit_token
from releases.models import Handoff, HandoffState, Release, RoleAssignment, RoleKey, Stage

from ..builders import Builder, Team, refresh
from ..queries import assert_num_queries

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM, PROD = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
)
DEPLOY_STEP = "Record the production deploy"
CLOSE_STEP = "Close the release (once post-release hand-offs are acknowledged)"


def handoff(release: Release, key: str) -> Handoff:
    return release.handoffs.get(template__key=key)


def my_work_page(client: Client, user: Any) -> str:
    client.force_login(user)
    response = client.get(reverse("my-work"))
    assert response.status_code == 200
    return response.content.decode()


def ack_url(h: Handoff) -> str:
    return reverse("handoff-ack", args=[h.pk])


class TestPreDeployHandoffAfterTheDeploy:
    """The QA Lead -> DevOps hand-off stops mattering once production is deployed."""

    def test_devops_owes_the_answer_in_staging_only(self, client, team, build):
        release = build.staging(name="Not yet out")
        h = handoff(release, "qa-to-devops")
        assert 'id="h-ack"' not in my_work_page(client, team[DEVOPS])  # Nothing sent yet.
        services.handoff_send(handoff_id=h.pk, actor=team[RoleKey.QA_LEAD], notes="Green")
        assert 'id="h-ack"' in my_work_page(client, team[DEVOPS])
        services.handoff_acknowledge(handoff_id=h.pk, actor=team[DEVOPS], decision="proceed")
        assert selectors.my_work(team[DEVOPS]).to_acknowledge.total == 0

    def test_post_deploy_handoffs_still_show_on_a_deployed_release(self, client, team, build):
        release = build.deployed()
        h = handoff(release, "devops-to-project-manager")
        services.handoff_send(handoff_id=h.pk, actor=team[DEVOPS], notes="Healthy.")
        assert [x.pk for x in selectors.my_work(team[PM]).to_acknowledge] == [h.pk]

    def test_no_hold_after_the_deploy_but_one_while_approved(self, team, build):
        deployed = build.deployed(version="1.0.0", release_type="major")
        late = handoff(deployed, "qa-to-devops")
        with pytest.raises(Refused, match="the release is deployed"):
            services.handoff_acknowledge(
                handoff_id=late.pk, actor=team[DEVOPS], decision="hold", response="Too late"
            )
        assert refresh(late).decision == "proceed"

        approved = build.approved(version="2.0.0", release_type="major")
        in_time = handoff(approved, "qa-to-devops")
        services.handoff_acknowledge(
            handoff_id=in_time.pk, actor=team[DEVOPS], decision="hold", response="Disk alarms"
        )
        assert refresh(in_time).decision == "hold"
        assert refresh(approved).stage == "staging"


def _rolled_back(build: Builder, team: Team) -> Release:
    build.closed(version="1.0.0", release_type="major")
    release = build.deployed(version="1.1.0", release_type="minor")
    h = handoff(release, "devops-to-project-manager")
    services.handoff_send(handoff_id=h.pk, actor=team[DEVOPS], notes="Errors climbing.")
    incident = services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")
    services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
    return refresh(release)


class TestAcknowledgeButton:
    """Fix 2: the release page offers "Acknowledge" only when the service would accept it."""

    def detail(self, client: Client, user: Any, release: Release) -> str:
        client.force_login(user)
        return client.get(reverse("release-detail", args=[release.pk])).content.decode()

    def test_no_button_on_a_closed_release(self, client, team, build):
        release = build.closed()
        gate_handoff = handoff(release, "qa-to-devops")
        assert gate_handoff.decision == "proceed"  # DevOps could change it until the deploy.
        assert ack_url(gate_handoff) not in self.detail(client, team[DEVOPS], release)

    def test_no_button_on_a_rolled_back_release(self, client, team, build):
        release = _rolled_back(build, team)
        assert release.stage == Stage.ROLLED_BACK
        sent = handoff(release, "devops-to-project-manager")
        assert sent.state == HandoffState.SENT
        assert ack_url(sent) not in self.detail(client, team[PM], release)
        assert ack_url(handoff(release, "qa-to-devops")) not in self.detail(
            client, team[DEVOPS], release
        )

    def test_no_button_for_the_pre_deploy_handoff_once_deployed(self, client, team, build):
        release = build.deployed()
        assert ack_url(handoff(release, "qa-to-devops")) not in self.detail(
            client, team[DEVOPS], release
        )

    def test_the_button_shows_where_it_works(self, client, team, build):
        approved = build.approved(version="1.0.0", release_type="major")
        gate_handoff = handoff(approved, "qa-to-devops")
        assert ack_url(gate_handoff) in self.detail(client, team[DEVOPS], approved)
        assert ack_url(gate_handoff) not in self.detail(client, team[QA], approved)

        deployed = build.deployed(version="2.0.0", release_type="major")
        h = handoff(deployed, "devops-to-project-manager")
        services.handoff_send(handoff_id=h.pk, actor=team[DEVOPS], notes="Healthy.")
        assert ack_url(h) in self.detail(client, team[PM], deployed)
        client.post(ack_url(h))
        assert refresh(h).state == HandoffState.ACKNOWLEDGED


class TestNextSteps:
    """Fix 3: the deploy and the close appear on My work for the people who take them."""

    def test_devops_is_asked_to_record_the_deploy(self, client, team, build):
        release = build.approved(name="Ready to go")
        page = my_work_page(client, team[DEVOPS])
        assert DEPLOY_STEP in page
        assert reverse("release-detail", args=[release.pk]) in page
        assert DEPLOY_STEP not in my_work_page(client, team[PM])
        assert DEPLOY_STEP not in my_work_page(client, team[QA])

    def test_the_project_manager_is_asked_to_close(self, client, team, build):
        release = build.deployed(name="Out there")
        page = my_work_page(client, team[PM])
        assert CLOSE_STEP in page
        assert reverse("release-detail", args=[release.pk]) in page
        assert DEPLOY_STEP not in my_work_page(client, team[DEVOPS])
        assert CLOSE_STEP not in my_work_page(client, team[DEVOPS])

    def test_a_backup_sees_the_step_and_finished_releases_drop_out(self, client, team, build):
        release = build.approved()
        RoleAssignment.objects.filter(release=release, role__key=DEVOPS).update(
            backup=team.outsider
        )
        assert DEPLOY_STEP in my_work_page(client, team.outsider)
        # A finished release asks nothing of its Project Manager any more.
        build.closed(version="9.0.0", release_type="major")
        assert selectors.my_work(team[PM]).next_steps.total == 0

    def test_the_list_costs_one_query_whatever_the_number_of_releases(self, client, team, build):
        def next_steps() -> int:
            # Gates, checklist items, hand-offs to send, hand-offs to acknowledge, next steps,
            # duties, action items, and who delegates to this person now.
            with assert_num_queries(8):
                work = selectors.my_work(team[DEVOPS])
            return work.next_steps.total

        build.approved(version="1.0.0", release_type="major")
        assert next_steps() == 1
        for i in range(3):
            build.approved(version=f"{i + 2}.0.0", release_type="major")
        assert next_steps() == 4


class TestRefusedConcurrentEdit:
    """Fix 4: when someone else saved meanwhile, the typed text comes back, ready to save."""

    def form(self, release: Release, seen: str, **fields: str) -> dict[str, str]:
        return {
            "name": release.name,
            "version": release.version,
            "release_type": release.release_type,
            "summary": release.summary,
            "rollback_plan": release.rollback_plan,
            "seen": seen,
            **fields,
        }

    def test_the_second_edit_keeps_its_text_and_saves_on_the_next_submit(self, team, build):
        release = build.create(name="Original")
        url = reverse("release-edit", args=[release.pk])
        pm, prod = Client(), Client()
        pm.force_login(team[PM])
        prod.force_login(team[PROD])
        seen = pm.get(url).context["form"]["seen"].value()
        assert prod.get(url).context["form"]["seen"].value() == seen

        first = pm.post(url, self.form(release, seen, name="Renamed by PM"))
        assert first.status_code == 302
        typed = "Known issue typed by the product manager"
        second = prod.post(url, self.form(release, seen, known_issues=typed))

        assert second.status_code == 200
        page = second.content.decode()
        assert typed in page
        assert "Someone changed this release while you were editing it" in page
        assert "kept below" in page
        release = refresh(release)
        assert release.name == "Renamed by PM" and release.known_issues != typed
        new_seen = second.context["form"]["seen"].value()
        assert new_seen == edit_token(release) != seen
        assert f'name="seen" value="{new_seen}"' in page

        # The form drawn again carries the typed text and the new token: it now saves.
        data = {**self.form(release, new_seen), "known_issues": typed}
        third = prod.post(url, data)
        assert third.status_code == 302
        release = refresh(release)
        assert release.known_issues == typed and release.name == "Renamed by PM"
