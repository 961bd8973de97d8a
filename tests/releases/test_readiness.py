"""What still blocks a release's next step: one list, for the page and the step's service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from octoacme.errors import Refused
from releases import services
from releases.lifecycle import readiness
from releases.models import (
    ChecklistState,
    HandoffDecision,
    HandoffState,
    Release,
    RoleKey,
)
from signoffs.models import GateState
from signoffs.selectors import says_proceed

from ..builders import Builder, Team, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, UX = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.UX_DESIGNER
PROD, PM = RoleKey.PRODUCT_MANAGER, RoleKey.PROJECT_MANAGER


def listed(release: Release, rows: readiness.Rows | None = None) -> list[readiness.Blocker]:
    release = refresh(release)
    rows = rows or readiness.load(release)
    return readiness.blockers(release, rows, says_proceed=says_proceed)


def plain(found: list[readiness.Blocker]) -> list[tuple[str, str, str]]:
    return [(b.text, b.owner, b.anchor) for b in found]


class TestPlanning:
    def test_open_pre_release_items_block_the_move_to_staging(self, team, build):
        release = build.create()
        assert plain(listed(release)) == [
            (
                "Checklist item “All acceptance criteria met and PRs merged” is open",
                "Business Analyst (business-analyst)",
                "checklist",
            ),
            (
                "Checklist item “Passing CI and security scans” is open",
                "DevOps Engineer (devops-engineer)",
                "checklist",
            ),
            (
                "Checklist item “Release notes drafted” is open",
                "Product Manager (product-manager)",
                "checklist",
            ),
            (
                "Checklist item “Rollback / mitigation plan documented” is open",
                "DevOps Engineer (devops-engineer)",
                "checklist",
            ),
            ("Checklist item “Smoke tests prepared” is open", "QA Lead (qa-lead)", "checklist"),
        ]
        build.pre_release_done(release)
        assert listed(release) == []

    def test_a_role_nobody_holds_blocks_it(self, team, build):
        release = build.pre_release_done(build.create())
        services.role_assign(release_id=release.pk, role_key=UX, holder=None, actor=team.admin)
        assert plain(listed(release)) == [
            (
                "Every role needs a holder before sign-off starts; an admin assigns one",
                "UX Designer (nobody holds it)",
                "h-roles",
            )
        ]

    def test_the_service_refuses_with_the_same_list(self, team, build):
        release = build.create(smoke_test_plan="")
        expected = readiness.refusal("stage", listed(release))
        with pytest.raises(Refused) as exc:
            services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS])
        assert exc.value.message == expected
        assert refresh(release).stage == "planning"


def test_staging_has_no_step_of_its_own(team, build):
    # The Project Manager's confirmation, a gate, moves it on; its page says what it waits for.
    assert listed(build.staging()) == []


class TestDeploy:
    def test_optional_items_and_the_final_decision_block_the_deploy(self, team, build):
        release = build.approved()
        assert plain(listed(release)) == [
            (
                "Checklist item “Deployment window scheduled (if needed)” is open",
                "Project Manager (project-manager)",
                "checklist",
            ),
            (
                "Checklist item “Backup or snapshot (if applicable)” is open",
                "DevOps Engineer (devops-engineer)",
                "checklist",
            ),
            (
                "The Product Manager has not recorded “Approve final release decision” yet",
                "Product Manager (product-manager)",
                "duties",
            ),
        ]

    def test_the_deploy_is_refused_with_the_list_and_nothing_changes(self, team, build):
        release = build.approved()
        expected = readiness.refusal("deploy", listed(release))
        assert expected.startswith("Cannot record the production deploy yet: Checklist item")
        events = release.audit_events.count()
        with pytest.raises(Refused) as exc:
            services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
        assert exc.value.message == expected
        release = refresh(release)
        assert (release.stage, release.deployed_at) == ("approved", None)
        assert release.audit_events.count() == events

    def test_a_ready_release_has_nothing_left(self, team, build):
        release = build.ready_to_deploy()
        assert listed(release) == []
        services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
        assert refresh(release).stage == "deployed"

    def test_a_downgrade_is_not_a_blocker(self, team, build):
        build.deployed(version="1.1.0", release_type="major")
        older = build.ready_to_deploy(version="1.2.0", release_type="minor")
        build.deployed(version="1.3.0", release_type="minor")
        assert listed(older) == []

    def test_the_qa_hand_off_gates_and_a_hold_each_block_it(self, team, build):
        # Pure over its rows: each state the deploy must not go past, read off the lists.
        release = build.ready_to_deploy()
        rows = readiness.load(release)
        qa = next(h for h in rows.handoffs if h.template.is_gate)
        ux = next(g for g in rows.gates if g.role.key == UX)

        qa.decision, qa.response = HandoffDecision.HOLD, "Import job fails on big files."
        ux.state = GateState.REJECTED
        assert plain(listed(release, rows)) == [
            (
                "The DevOps Engineer put a hold on: Import job fails on big files.",
                "DevOps Engineer (devops-engineer)",
                "handoffs",
            ),
            ("The UX Designer gate is rejected", "UX Designer (ux-designer)", "gates"),
        ]
        qa.decision, qa.state = "", HandoffState.SENT
        assert plain(listed(release, rows))[0] == (
            "The QA Lead → DevOps Engineer hand-off does not say “proceed”",
            "DevOps Engineer (devops-engineer)",
            "handoffs",
        )
        qa.state = HandoffState.PENDING
        assert plain(listed(release, rows))[0] == (
            "The QA Lead → DevOps Engineer hand-off is not sent",
            "QA Lead (qa-lead)",
            "handoffs",
        )


class TestClose:
    def test_post_deploy_items_hand_offs_and_duties_block_it(self, team, build):
        release = build.deployed()
        found = listed(release)
        texts = [b.text for b in found]
        assert "Checklist item “Run post-deploy verifications” is open" in texts
        assert (
            "The DevOps Engineer → Project Manager hand-off is not sent",
            "DevOps Engineer (devops-engineer)",
            "handoffs",
        ) in plain(found)
        duties = [b for b in found if b.anchor == "duties"]
        assert (
            "QA Lead duty “Execute production smoke tests” is not done",
            "QA Lead (qa-lead)",
            "duties",
        ) in plain(duties)
        # The Product Manager's final decision was recorded before the deploy.
        assert not any("Approve final release decision" in b.text for b in duties)

    def test_a_sent_hand_off_waits_for_its_receiver(self, team, build):
        release = build.deployed()
        handoff = release.handoffs.get(template__key="devops-to-project-manager")
        services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="Healthy.")
        assert (
            "The DevOps Engineer → Project Manager hand-off is not acknowledged",
            "Project Manager (project-manager)",
            "handoffs",
        ) in plain(listed(release))

    def test_incidents_their_review_and_action_items_block_it(self, team, build: Builder):
        release = build.post_release_done(build.deployed())
        assert listed(release) == []
        incident = services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")
        assert plain(listed(release)) == [
            ("Incident “Errors” is open", "DevOps Engineer (devops-engineer)", "incidents")
        ]
        due = timezone.localdate() + timedelta(days=3)
        item = services.action_item_add(
            incident_id=incident.pk,
            actor=team[DEVOPS],
            text="Add an alert on 5xx",
            owner_id=team[QA].pk,
            due_on=due,
        )
        services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Flag")
        services.incident_resolve(incident_id=incident.pk, actor=team[DEVOPS], root_cause="A bug")
        assert plain(listed(release)) == [
            (
                "The review of incident “Errors” is not closed",
                "Project Manager (project-manager)",
                "incidents",
            ),
            (
                f"Action item “Add an alert on 5xx” is open (due {due:%Y-%m-%d})",
                "qa-lead",
                "incidents",
            ),
        ]
        expected = readiness.refusal("close", listed(release))
        with pytest.raises(Refused) as exc:
            services.release_close(release_id=release.pk, actor=team[PM])
        assert exc.value.message == expected
        assert refresh(release).stage == "deployed"

        services.action_item_done(item_id=item.pk, actor=team[QA])
        services.incident_close_review(incident_id=incident.pk, actor=team[PM])
        assert listed(release) == []
        services.release_close(release_id=release.pk, actor=team[PM])
        assert refresh(release).stage == "closed"

    def test_the_close_refusal_lists_everything_left(self, team: Team, build):
        release = build.deployed()
        with pytest.raises(Refused) as exc:
            services.release_close(release_id=release.pk, actor=team[PM])
        message = exc.value.message
        assert message == readiness.refusal("close", listed(release))
        assert message.startswith("Cannot close yet: Checklist item")
        assert "Customer Success Manager → Product Manager hand-off is not sent" in message
        assert "duty “Monitor success metrics” is not done (Product Manager (product-manager))" in (
            message
        )


def test_an_item_marked_not_applicable_no_longer_blocks(team, build):
    release = build.approved()
    window = release.checklist.get(template__key="deployment-window")
    services.checklist_mark_not_applicable(item_id=window.pk, actor=team[PM], reason="None")
    assert window.template.text not in " ".join(b.text for b in listed(release))
    assert refresh(window).state == ChecklistState.NOT_APPLICABLE
