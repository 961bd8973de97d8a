"""Every lifecycle transition of a release, and every refusal, through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.models import (
    AuditEvent,
    ChecklistItem,
    ChecklistState,
    Handoff,
    HandoffState,
    IncidentState,
    Release,
    RoleAssignment,
    RoleKey,
    Stage,
)
from releases.selectors import approvals_affected_by
from signoffs.models import GateState, SignOff

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db

PM, PROD, QA, DEVOPS, CSM = (
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def nothing_changed(release: Release, events_before: int) -> None:
    assert release.audit_events.count() == events_before


class TestCreate:
    def test_it_instantiates_gates_checklist_handoffs_and_default_holders(self, team, build):
        release = build.create(name="Apollo", version="1.0.0", release_type="major")
        assert release.stage == Stage.PLANNING
        assert SignOff.objects.filter(release=release, state=GateState.PENDING).count() == 7
        assert release.checklist.count() == 18
        assert release.handoffs.count() == 4
        qa = RoleAssignment.objects.get(release=release, role__key=QA)
        assert (qa.holder, qa.backup) == (team[QA], team.backup)
        assert release.audit_events.get().verb == "release.created"

    def test_it_refuses_a_user_who_is_not_a_manager(self, team):
        with pytest.raises(PermissionDenied):
            services.release_create(actor=team[QA], name="X", version="1.0.0", release_type="major")
        assert not Release.objects.exists()

    def test_admins_may_create(self, team):
        release = services.release_create(
            actor=team.admin, name="X", version="1.0.0", release_type="major"
        )
        assert release.created_by == team.admin

    def test_it_refuses_an_over_long_name(self, team, build):
        with pytest.raises(ValidationError) as exc:
            build.create(name="x" * 121, version="1.0.0")
        assert "name" in exc.value.message_dict
        assert not Release.objects.exists()

    def test_it_refuses_unknown_fields(self, team, build):
        with pytest.raises(ValidationError, match="Unknown release fields: stage"):
            build.create(stage="closed")

    def test_it_refuses_a_window_that_closes_before_it_opens(self, team, build):
        from django.utils import timezone

        now = timezone.now()
        with pytest.raises(ValidationError, match="must close after it opens"):
            build.create(window_start=now, window_end=now)


class TestStaging:
    def test_it_needs_every_pre_release_requirement(self, team, build):
        release = build.create()
        before = release.audit_events.count()
        with pytest.raises(Refused, match="Cannot move to staging yet: Checklist item “All accep"):
            services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS])
        assert refresh(release).stage == Stage.PLANNING
        nothing_changed(release, before)

    def test_it_needs_a_holder_for_every_role(self, team, build):
        release = build.pre_release_done(build.create())
        services.role_assign(
            release_id=release.pk, role_key="ux-designer", holder=None, actor=team.admin
        )
        with pytest.raises(Refused, match=r"needs a holder .*\(UX Designer \(nobody holds it\)\)"):
            services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS])

    def test_it_opens_the_six_role_gates_and_ticks_the_staging_item(self, team, build):
        release = build.staging()
        assert release.stage == Stage.STAGING and release.staged_at
        opened = SignOff.objects.filter(release=release, opened_at__isnull=False)
        assert opened.count() == 6
        assert gate(release, PM).opened_at is None
        item = release.checklist.get(template__key="deploy-to-staging")
        assert item.state == ChecklistState.DONE
        event = release.audit_events.get(verb="release.stage")
        assert (event.from_state, event.to_state, event.actor) == (
            "planning",
            "staging",
            team[DEVOPS],
        )

    def test_only_devops_or_project_manager_may_move_it(self, team, build):
        release = build.pre_release_done(build.create())
        for user in (team[QA], team.outsider, team.admin):
            with pytest.raises(PermissionDenied):
                services.release_move_to_staging(release_id=release.pk, actor=user)
        services.release_move_to_staging(release_id=release.pk, actor=team[PM])

    def test_it_refuses_twice(self, team, build):
        release = build.staging()
        with pytest.raises(Refused, match="Cannot move to staging: the release is staging"):
            services.release_move_to_staging(release_id=release.pk, actor=team[DEVOPS])


class TestDeployAndClose:
    def test_deploy_needs_an_approved_release(self, team, build):
        release = build.staging()
        with pytest.raises(Refused, match="only possible when it is approved"):
            services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])

    def test_deploy_needs_the_optional_items_done_or_not_applicable(self, team, build):
        release = build.approved()
        with pytest.raises(Refused, match=r"Deployment window scheduled \(if needed\)"):
            services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
        assert refresh(release).stage == Stage.APPROVED

    def test_only_devops_records_the_deploy(self, team, build):
        release = build.approved()
        with pytest.raises(PermissionDenied):
            services.release_record_deploy(release_id=release.pk, actor=team[PM])

    def test_deploy_sets_follow_up_due_times(self, team, build):
        release = build.deployed()
        assert release.stage == Stage.DEPLOYED and release.deployed_at
        csm = release.handoffs.get(template__key="csm-to-product-manager")
        assert (csm.due_at - release.deployed_at).total_seconds() == 24 * 3600
        assert (csm.overdue_at - release.deployed_at).total_seconds() == 48 * 3600
        assert release.checklist.get(template__key="deploy-to-production").state == "done"

    def test_close_waits_for_post_release_work(self, team, build):
        release = build.deployed()
        with pytest.raises(Refused) as exc:
            services.release_close(release_id=release.pk, actor=team[PM])
        assert "Run post-deploy verifications" in exc.value.message
        assert "Customer Success Manager → Product Manager" in exc.value.message
        build.post_release_done(release)
        services.release_close(release_id=release.pk, actor=team[PM])
        assert refresh(release).stage == Stage.CLOSED

    def test_close_waits_for_open_incidents(self, team, build):
        release = build.post_release_done(build.deployed())
        services.incident_open(release_id=release.pk, actor=team[QA], title="Errors")
        with pytest.raises(Refused, match="Incident “Errors” is open"):
            services.release_close(release_id=release.pk, actor=team[PM])

    def test_only_the_project_manager_closes(self, team, build):
        release = build.post_release_done(build.deployed())
        with pytest.raises(PermissionDenied):
            services.release_close(release_id=release.pk, actor=team[PROD])


class TestCancel:
    @pytest.mark.parametrize("stage", ["create", "staging", "approved"])
    def test_it_cancels_before_deploy_with_a_reason(self, team, build, stage):
        release = getattr(build, stage)()
        services.release_cancel(release_id=release.pk, actor=team[PROD], reason="Descoped.")
        release = refresh(release)
        assert release.stage == Stage.CANCELLED
        assert release.audit_events.last().comment == "Descoped."

    def test_it_needs_a_reason(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError, match="reason"):
            services.release_cancel(release_id=release.pk, actor=team[PM], reason="  ")
        assert refresh(release).stage == Stage.PLANNING

    def test_it_refuses_after_deploy(self, team, build):
        release = build.deployed()
        with pytest.raises(Refused, match="Cannot cancel"):
            services.release_cancel(release_id=release.pk, actor=team[PM], reason="Too late")

    def test_a_cancelled_release_gives_its_version_back(self, team, build):
        release = build.create(version="3.0.0", release_type="major")
        services.release_cancel(release_id=release.pk, actor=team[PM], reason="Replanned")
        again = build.create(version="3.0.0", release_type="major")
        assert again.version == "3.0.0"


class TestEdit:
    def test_a_scope_change_turns_approvals_stale(self, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        changed = services.release_update(
            release_id=release.pk, actor=team[PROD], data={"summary": "New scope"}
        )
        assert changed == ["summary"]
        qa = gate(release, QA)
        assert (qa.state, qa.stale) == (GateState.PENDING, True)
        assert release.audit_events.filter(verb="gate.stale").count() == 2
        # History is kept: the approval is still in the trail.
        assert release.audit_events.filter(verb="gate.approved", subject="QA Lead").exists()
        assert release.checklist.get(template__key="signoff-qa-lead").state == "open"

    def test_a_scope_change_sends_an_approved_release_back_to_staging(self, team, build):
        release = build.approved()
        services.release_update(
            release_id=release.pk, actor=team[PM], data={"known_issues": "Export is slow"}
        )
        release = refresh(release)
        assert release.stage == Stage.STAGING
        assert not SignOff.objects.filter(release=release, state=GateState.APPROVED).exists()

    def test_a_window_change_is_not_scope(self, team, build):
        from django.utils import timezone

        release = build.staging()
        build.approve(release, QA)
        services.release_update(
            release_id=release.pk, actor=team[PM], data={"window_start": timezone.now()}
        )
        assert gate(release, QA).state == GateState.APPROVED

    def test_the_warning_counts_the_approvals_a_save_would_turn_stale(self, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        assert approvals_affected_by(refresh(release), {"summary": "x"}) == 2
        assert approvals_affected_by(refresh(release), {"name": "x"}) == 0

    def test_it_refuses_edits_after_deploy(self, team, build):
        release = build.deployed()
        with pytest.raises(Refused, match="Cannot edit the release: the release is deployed"):
            services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "x"})

    def test_it_refuses_other_roles(self, team, build):
        release = build.create()
        with pytest.raises(PermissionDenied):
            services.release_update(release_id=release.pk, actor=team[QA], data={"summary": "x"})

    def test_it_refuses_a_bad_version_and_changes_nothing(self, team, build):
        release = build.create()
        before = release.audit_events.count()
        with pytest.raises(ValidationError, match=r"MAJOR\.MINOR\.PATCH"):
            services.release_update(release_id=release.pk, actor=team[PM], data={"version": "v2"})
        assert refresh(release).version != "v2"
        nothing_changed(release, before)


class TestAssignments:
    def test_reassigning_moves_the_right_to_sign(self, team, build):
        from signoffs.permissions import can_sign

        release = build.staging()
        newcomer = team.outsider
        services.role_assign(release_id=release.pk, role_key=QA, holder=newcomer, actor=team.admin)
        qa = gate(release, QA)
        assert can_sign(newcomer, qa)
        assert not can_sign(team[QA], qa)
        assert not can_sign(team.backup, qa)  # the backup was not named again
        event = release.audit_events.get(verb="role.assigned")
        assert "Holder: outsider (was qa-lead)" in event.comment

    def test_only_admins_and_the_releases_project_manager_assign(self, team, build):
        # The Project Manager's side is in test_separation_of_duties.py (TestWhoMayAssign).
        release = build.create()
        for actor in (team[QA], team[PROD], team.outsider):
            with pytest.raises(PermissionDenied):
                services.role_assign(
                    release_id=release.pk,
                    role_key=RoleKey.UX_DESIGNER,
                    holder=team.outsider,
                    actor=actor,
                )
        ux = release.assignments.get(role__key=RoleKey.UX_DESIGNER)
        assert ux.holder == team[RoleKey.UX_DESIGNER]

    def test_an_unknown_role_is_refused(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError, match="Unknown role “chef”"):
            services.role_assign(
                release_id=release.pk, role_key="chef", holder=team[PM], actor=team.admin
            )

    def test_the_backup_must_be_someone_else(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError, match="someone other than the holder"):
            services.role_assign(
                release_id=release.pk,
                role_key=QA,
                holder=team[PM],
                backup=team[PM],
                actor=team.admin,
            )

    def test_a_deactivated_user_cannot_hold_a_role(self, team, build):
        release = build.create()
        team.outsider.is_active = False
        team.outsider.save()
        with pytest.raises(ValidationError, match="deactivated"):
            services.role_assign(
                release_id=release.pk, role_key=QA, holder=team.outsider, actor=team.admin
            )

    def test_assignments_freeze_once_the_release_is_finished(self, team, build):
        release = build.closed()
        with pytest.raises(Refused, match="change role holders"):
            services.role_assign(
                release_id=release.pk, role_key=QA, holder=team[PM], actor=team.admin
            )


class TestChecklist:
    def test_the_owner_ticks_their_item(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="smoke-tests")
        services.checklist_complete(item_id=item.pk, actor=team[QA])
        item = refresh(item)
        assert (item.state, item.done_by) == (ChecklistState.DONE, team[QA])

    def test_another_role_may_not(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="smoke-tests")
        with pytest.raises(PermissionDenied, match="Only the QA Lead"):
            services.checklist_complete(item_id=item.pk, actor=team[DEVOPS])

    def test_sign_off_items_tick_only_from_their_gates(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="signoff-qa-lead")
        with pytest.raises(Refused, match="ticks itself from its sign-off gate"):
            services.checklist_complete(item_id=item.pk, actor=team[QA])

    def test_a_required_item_cannot_be_skipped(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="smoke-tests")
        with pytest.raises(Refused, match="required by the guide"):
            services.checklist_mark_not_applicable(item_id=item.pk, actor=team[QA], reason="x")

    def test_an_optional_item_needs_a_reason_to_be_skipped(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="backup-snapshot")
        with pytest.raises(ValidationError, match="reason"):
            services.checklist_mark_not_applicable(item_id=item.pk, actor=team[DEVOPS], reason="")
        services.checklist_mark_not_applicable(
            item_id=item.pk, actor=team[DEVOPS], reason="No schema change"
        )
        item = refresh(item)
        assert (item.state, item.reason) == (ChecklistState.NOT_APPLICABLE, "No schema change")

    def test_pre_release_items_close_once_staging_starts(self, team, build):
        release = build.staging()
        item = release.checklist.get(template__key="smoke-tests")
        with pytest.raises(Refused, match="only possible when it is planning"):
            services.checklist_reopen(item_id=item.pk, actor=team[QA])

    def test_post_deploy_items_wait_for_the_deploy(self, team, build):
        release = build.approved()
        item = release.checklist.get(template__key="post-deploy-verifications")
        with pytest.raises(Refused, match="only possible when it is deployed"):
            services.checklist_complete(item_id=item.pk, actor=team[QA])

    def test_a_done_item_can_be_reopened(self, team, build):
        release = build.create()
        item = release.checklist.get(template__key="smoke-tests")
        services.checklist_complete(item_id=item.pk, actor=team[QA])
        services.checklist_reopen(item_id=item.pk, actor=team[QA])
        assert refresh(item).state == ChecklistState.OPEN


class TestHandoffs:
    def test_devops_records_proceed_or_hold_not_qa(self, team, build):
        release = build.staging()
        handoff = release.handoffs.get(template__key="qa-to-devops")
        services.handoff_send(handoff_id=handoff.pk, actor=team[QA], notes="Flaky export")
        with pytest.raises(PermissionDenied):
            services.handoff_acknowledge(handoff_id=handoff.pk, actor=team[QA], decision="hold")
        with pytest.raises(ValidationError, match="proceed"):
            services.handoff_acknowledge(handoff_id=handoff.pk, actor=team[DEVOPS], decision="")
        services.handoff_acknowledge(
            handoff_id=handoff.pk, actor=team[DEVOPS], decision="hold", response="Flaky export"
        )
        assert (refresh(handoff).decision, refresh(handoff).state) == ("hold", "acknowledged")

    def test_new_results_withdraw_proceed_and_need_a_new_answer(self, team, build):
        release = build.staging()
        build.proceed(release)
        handoff = release.handoffs.get(template__key="qa-to-devops")
        assert refresh(handoff).state == HandoffState.ACKNOWLEDGED
        services.handoff_send(handoff_id=handoff.pk, actor=team[QA], notes="Found a bug")
        handoff = refresh(handoff)
        assert (handoff.state, handoff.decision, handoff.acknowledged_by) == (
            HandoffState.SENT,
            "",
            None,
        )

    def test_only_the_sender_role_sends_and_only_the_receiver_acknowledges(self, team, build):
        release = build.staging()
        handoff = release.handoffs.get(template__key="qa-to-devops")
        with pytest.raises(PermissionDenied):
            services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="x")
        build.proceed(release)
        with pytest.raises(PermissionDenied):
            services.handoff_acknowledge(handoff_id=handoff.pk, actor=team[QA], decision="hold")

    def test_post_deploy_handoffs_wait_for_the_deploy(self, team, build):
        release = build.approved()
        handoff = release.handoffs.get(template__key="devops-to-project-manager")
        with pytest.raises(Refused, match="only possible when it is deployed"):
            services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="Healthy")

    def test_a_pending_handoff_cannot_be_acknowledged(self, team, build):
        release = build.deployed()
        handoff = release.handoffs.get(template__key="devops-to-project-manager")
        with pytest.raises(Refused, match="only a sent hand-off"):
            services.handoff_acknowledge(handoff_id=handoff.pk, actor=team[PM])

    def test_a_non_gate_handoff_is_sent_once(self, team, build):
        release = build.deployed()
        handoff = release.handoffs.get(template__key="devops-to-project-manager")
        services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="Healthy")
        with pytest.raises(Refused, match="already sent"):
            services.handoff_send(handoff_id=handoff.pk, actor=team[DEVOPS], notes="Again")


class TestIncidentsAndRollback:
    def test_rollback_goes_to_the_last_known_good_release(self, team, build):
        good = build.closed(version="1.0.0", release_type="major")
        bad = build.deployed(version="1.1.0", release_type="minor")
        assert refresh(good).superseded_by == bad
        incident = services.incident_open(release_id=bad.pk, actor=team[QA], title="500s")
        services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        assert refresh(bad).rolled_back_to == good
        # Production is 1.0.0 again.
        assert list(Release.objects.in_production()) == [good]
        # 1.1.0 was rolled back, so it is not known-good: 1.2.0 goes back to 1.0.0.
        worse = build.deployed(version="1.2.0", release_type="minor")
        incident = services.incident_open(release_id=worse.pk, actor=team[QA], title="Slow")
        services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        worse = refresh(worse)
        assert (worse.stage, worse.rolled_back_to) == (Stage.ROLLED_BACK, good)
        assert refresh(incident).rolled_back_to == good
        assert list(Release.objects.in_production()) == [good]

    def test_only_the_release_in_production_can_be_rolled_back(self, team, build):
        build.closed(version="1.0.0", release_type="major")
        older = build.deployed(version="1.1.0", release_type="minor")
        newer = build.deployed(version="1.2.0", release_type="minor")
        older = refresh(older)
        assert (older.stage, older.superseded_by) == (Stage.DEPLOYED, newer)
        assert list(Release.objects.in_production()) == [newer]
        incident = services.incident_open(release_id=older.pk, actor=team[QA], title="Old bug")
        events = older.audit_events.count()
        with pytest.raises(Refused, match=r"no longer in production: .*1\.2\.0"):
            services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        assert refresh(older).stage == Stage.DEPLOYED
        assert older.audit_events.count() == events
        assert not Notification.objects.filter(kind="rollback_recorded").exists()

    def test_a_superseded_release_can_still_be_closed(self, team, build):
        build.closed(version="1.0.0", release_type="major")
        older = build.post_release_done(build.deployed(version="1.1.0", release_type="minor"))
        build.deployed(version="1.2.0", release_type="minor")
        services.release_close(release_id=older.pk, actor=team[PM])
        assert refresh(older).stage == Stage.CLOSED

    def test_rollback_needs_something_known_good(self, team, build):
        only = build.deployed(version="1.0.0", release_type="major")
        incident = services.incident_open(release_id=only.pk, actor=team[QA], title="Down")
        with pytest.raises(Refused, match="nothing known-good"):
            services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        assert refresh(only).stage == Stage.DEPLOYED

    def test_only_devops_rolls_back(self, team, build):
        build.closed(version="1.0.0", release_type="major")
        bad = build.deployed(version="1.1.0", release_type="minor")
        incident = services.incident_open(release_id=bad.pk, actor=team[QA], title="Down")
        with pytest.raises(PermissionDenied):
            services.incident_record_rollback(incident_id=incident.pk, actor=team[PM])

    def test_incidents_need_a_deployed_release(self, team, build):
        with pytest.raises(Refused, match="open an incident"):
            services.incident_open(release_id=build.staging().pk, actor=team[QA], title="x")
        with pytest.raises(Refused, match="record the failed deploy"):
            services.incident_open(release_id=build.approved().pk, actor=team[QA], title="x")

    def test_resolving_records_the_root_cause(self, team, build):
        release = build.deployed()
        incident = services.incident_open(release_id=release.pk, actor=team[QA], title="Down")
        services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Off")
        with pytest.raises(ValidationError, match="root cause"):
            services.incident_resolve(incident_id=incident.pk, actor=team[DEVOPS], root_cause="")
        services.incident_resolve(
            incident_id=incident.pk, actor=team[DEVOPS], root_cause="Bad config"
        )
        incident = refresh(incident)
        assert (incident.state, incident.root_cause) == (IncidentState.RESOLVED, "Bad config")

    def test_an_outsider_may_not_open_an_incident(self, team, build):
        release = build.deployed()
        with pytest.raises(PermissionDenied):
            services.incident_open(release_id=release.pk, actor=team.outsider, title="x")


def test_every_state_change_writes_an_audit_event(team, build):
    release = build.closed()
    verbs = list(release.audit_events.values_list("verb", flat=True))
    assert verbs[0] == "release.created"
    for verb in (
        "release.stage",
        "release.approve",
        "release.deploy",
        "release.close",
        "gate.approved",
        "gate.opened",
        "checklist.done",
        "checklist.not_applicable",
        "handoff.sent",
        "handoff.acknowledged",
    ):
        assert verb in verbs, verb
    assert AuditEvent.objects.filter(release=release, actor__isnull=True).count() == 0
    # The checklist and hand-offs end complete.
    assert not ChecklistItem.objects.filter(release=release, state="open").exists()
    post = Handoff.objects.filter(release=release, template__phase="post_deploy")
    assert not post.exclude(state="acknowledged").exists()


def test_a_second_holder_row_for_one_gate_is_refused(team, build):
    release = build.create()
    qa = RoleAssignment.objects.get(release=release, role__key=QA)
    duplicate = RoleAssignment(release=release, role=qa.role, holder=team.outsider)
    with pytest.raises(ValidationError, match="This role already has a holder on this release"):
        duplicate.validate_constraints()
    assert RoleAssignment.objects.filter(release=release, role__key=QA).count() == 1
