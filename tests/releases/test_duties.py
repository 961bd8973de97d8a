"""Duties as to-dos (issue 13, item 2): created with the release, pre-release duties confirmed
by the gates, the Product Manager's final release decision before the deploy, one deploy email
per person with their duties and the release notes, marking done, My work."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from notifications.models import Notification
from octoacme.errors import Refused
from releases import selectors, services
from releases.chase import follow_ups
from releases.models import (
    AuditEvent,
    DefaultHolder,
    Duty,
    DutyPhase,
    DutyState,
    Release,
    Role,
    RoleKey,
    Stage,
)
from signoffs import services as gate_services

from ..builders import Builder, Team, gate, refresh

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def duty(release: Release, key: str, phase: str) -> Duty:
    return Duty.objects.select_related("role", "done_by").get(
        release=release, role__key=key, phase=phase
    )


def verbs(release: Release, verb: str) -> list[AuditEvent]:
    return list(release.audit_events.filter(verb=verb).order_by("id"))


def per_person(kind: str) -> Counter[str]:
    return Counter(Notification.objects.filter(kind=kind).values_list("to_email", flat=True))


def email(username: str) -> str:
    return f"{username}@example.com"


def final_decision(release: Release) -> Duty:
    return duty(release, PROD, DutyPhase.RELEASE_DAY)


class TestCreated:
    def test_every_release_gets_each_roles_three_duties_as_the_guide_words_them(self, build):
        release = build.create()
        duties = list(release.duties.select_related("role"))
        assert len(duties) == 21
        assert {d.state for d in duties} == {DutyState.OPEN}
        qa = {d.phase: d.text for d in duties if d.role.key == QA}
        assert qa == {
            DutyPhase.PRE_RELEASE: "Complete final test pass in staging",
            DutyPhase.RELEASE_DAY: "Execute production smoke tests",
            DutyPhase.POST_RELEASE: "Monitor for quality regressions",
        }

    def test_the_text_is_copied_so_a_later_edit_of_the_role_does_not_change_it(self, build):
        release = build.create()
        Role.objects.filter(key=QA).update(pre_release_duty="Something else")
        assert duty(release, QA, DutyPhase.PRE_RELEASE).text == (
            "Complete final test pass in staging"
        )


class TestPreReleaseDutiesFollowTheGates:
    def test_approving_confirms_the_duty_in_the_same_step(self, team, build):
        release = build.staging()
        build.approve(release, QA)
        d = duty(release, QA, DutyPhase.PRE_RELEASE)
        assert d.state == DutyState.DONE and d.done_by == team[QA] and d.done_at
        assert d.note == "Confirmed by approving the QA Lead gate"
        [event] = verbs(release, "duty.done")
        assert event.actor == team[QA]
        assert event.subject == "QA Lead: Complete final test pass in staging"
        # The others are still to do.
        assert duty(release, UX, DutyPhase.PRE_RELEASE).state == DutyState.OPEN

    def test_a_backup_who_approves_is_the_one_who_confirmed(self, team, build):
        release = build.staging()
        gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team.backup)
        assert duty(release, QA, DutyPhase.PRE_RELEASE).done_by == team.backup

    def test_a_revoke_reopens_it_audited(self, team, build):
        release = build.staging()
        build.approve(release, UX)
        gate_services.gate_revoke(gate_id=gate(release, UX).pk, actor=team[UX])
        d = duty(release, UX, DutyPhase.PRE_RELEASE)
        assert (d.state, d.done_by, d.done_at, d.note) == (DutyState.OPEN, None, None, "")
        [event] = verbs(release, "duty.reopened")
        assert event.comment == "The UX Designer approval was revoked."
        assert (event.from_state, event.to_state) == ("done", "open")

    def test_a_rejection_of_an_approval_reopens_it(self, team, build):
        release = build.staging()
        build.approve(release, BA)
        gate_services.gate_reject(gate_id=gate(release, BA).pk, actor=team[BA], reason="No")
        assert duty(release, BA, DutyPhase.PRE_RELEASE).state == DutyState.OPEN
        assert [e.comment for e in verbs(release, "duty.reopened")] == [
            "The Business Analyst gate was rejected."
        ]

    def test_a_rejection_of_a_pending_gate_records_nothing_about_the_duty(self, team, build):
        release = build.staging()
        gate_services.gate_reject(gate_id=gate(release, BA).pk, actor=team[BA], reason="No")
        assert verbs(release, "duty.reopened") == []

    def test_a_stale_approval_reopens_it(self, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "More"})
        assert duty(release, QA, DutyPhase.PRE_RELEASE).state == DutyState.OPEN
        assert duty(release, DEVOPS, DutyPhase.PRE_RELEASE).state == DutyState.OPEN
        assert {e.subject for e in verbs(release, "duty.reopened")} == {
            "QA Lead: Complete final test pass in staging",
            "DevOps Engineer: Validate deployment pipeline and rollback procedures",
        }

    def test_the_project_managers_final_gate_confirms_their_duty(self, team, build):
        release = build.approved()
        d = duty(release, PM, DutyPhase.PRE_RELEASE)
        assert d.state == DutyState.DONE and d.done_by == team[PM]
        assert d.note == "Confirmed by approving the Project Manager gate"
        assert (
            Duty.objects.filter(
                release=release, phase=DutyPhase.PRE_RELEASE, state=DutyState.DONE
            ).count()
            == 7
        )

    def test_pre_release_duties_are_never_marked_by_hand(self, team, build):
        release = build.staging()
        d = duty(release, QA, DutyPhase.PRE_RELEASE)
        with pytest.raises(Refused, match="confirmed by approving the QA Lead gate"):
            services.duty_done(duty_id=d.pk, actor=team[QA])
        assert refresh(d).state == DutyState.OPEN


class TestFinalReleaseDecision:
    def test_the_product_manager_records_it_on_the_approved_release(self, team, build):
        release = build.approved()
        d = final_decision(release)
        services.duty_done(duty_id=d.pk, actor=team[PROD], note="Go.")
        d = refresh(d)
        assert (d.state, d.done_by, d.note) == (DutyState.DONE, team[PROD], "Go.")
        [event] = [e for e in verbs(release, "duty.done") if e.actor == team[PROD]][1:]
        assert event.subject == "Product Manager: Approve final release decision"
        assert event.comment == "Final release decision recorded. Go."
        # The DevOps Engineer, who deploys, hears it once.
        assert per_person("final_decision_recorded") == Counter({email(DEVOPS): 1})

    def test_the_approval_asks_the_product_manager_for_it(self, build):
        build.approved()
        assert per_person("final_decision_due") == Counter({email(PROD): 1})

    def test_not_before_the_release_is_approved(self, team, build):
        release = build.staging()
        d = final_decision(release)
        with pytest.raises(Refused, match="record the final release decision"):
            services.duty_done(duty_id=d.pk, actor=team[PROD])
        assert refresh(d).state == DutyState.OPEN

    @pytest.mark.parametrize("who", ["qa", "outsider", "admin"])
    def test_nobody_else_records_it(self, team, build, who):
        release = build.approved()
        actor = {"qa": team[QA], "outsider": team.outsider, "admin": team.admin}[who]
        events = release.audit_events.count()
        with pytest.raises(PermissionDenied, match="Only the Product Manager"):
            services.duty_done(duty_id=final_decision(release).pk, actor=actor)
        assert final_decision(release).state == DutyState.OPEN
        assert release.audit_events.count() == events

    def test_a_note_too_long_changes_nothing(self, team, build):
        release = build.approved()
        events = release.audit_events.count()
        with pytest.raises(ValidationError, match="note"):
            services.duty_done(
                duty_id=final_decision(release).pk, actor=team[PROD], note="x" * 5001
            )
        assert final_decision(release).state == DutyState.OPEN
        assert release.audit_events.count() == events

    def test_the_deploy_is_refused_until_it_is_recorded(self, team, build):
        release = build.approved()
        for item in release.checklist.filter(template__optional=True):
            services.checklist_mark_not_applicable(
                item_id=item.pk, actor=team[item.template.owner.key], reason="n/a"
            )
        events = release.audit_events.count()
        with pytest.raises(Refused) as refusal:
            services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
        assert "Product Manager (product-manager)" in refusal.value.message
        assert "“Approve final release decision”" in refusal.value.message
        assert refresh(release).stage == Stage.APPROVED
        assert release.audit_events.count() == events
        build.final_decision(release)
        services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
        assert refresh(release).stage == Stage.DEPLOYED

    def test_going_back_to_staging_reopens_it(self, team, build):
        release = build.ready_to_deploy()
        assert final_decision(release).state == DutyState.DONE
        gate_services.gate_revoke(gate_id=gate(release, QA).pk, actor=team[QA])
        assert refresh(release).stage == Stage.STAGING
        d = final_decision(release)
        assert (d.state, d.done_by) == (DutyState.OPEN, None)
        reopened = [e for e in verbs(release, "duty.reopened") if e.subject.startswith("Product")]
        assert len(reopened) == 1
        assert "went back to staging" in reopened[0].comment


class TestMarkingDone:
    def test_release_day_and_post_release_duties_wait_for_the_deploy(self, team, build):
        release = build.ready_to_deploy()
        d = duty(release, QA, DutyPhase.RELEASE_DAY)
        with pytest.raises(Refused, match="only possible when it is deployed"):
            services.duty_done(duty_id=d.pk, actor=team[QA])
        assert refresh(d).state == DutyState.OPEN

    def test_after_the_deploy_the_holder_marks_it_done_with_a_note(self, team, build):
        release = build.deployed()
        d = duty(release, QA, DutyPhase.RELEASE_DAY)
        services.duty_done(duty_id=d.pk, actor=team[QA], note="  Smoke tests green.  ")
        d = refresh(d)
        assert (d.state, d.done_by, d.note) == (DutyState.DONE, team[QA], "Smoke tests green.")
        event = verbs(release, "duty.done")[-1]
        assert (event.actor, event.subject, event.comment) == (
            team[QA],
            "QA Lead: Execute production smoke tests",
            "Smoke tests green.",
        )

    def test_the_note_is_optional_and_the_backup_may_do_it(self, team, build):
        release = build.deployed()
        d = duty(release, QA, DutyPhase.POST_RELEASE)
        services.duty_done(duty_id=d.pk, actor=team.backup)
        assert refresh(d).done_by == team.backup and refresh(d).note == ""

    def test_twice_is_refused(self, team, build):
        release = build.deployed()
        d = duty(release, QA, DutyPhase.RELEASE_DAY)
        services.duty_done(duty_id=d.pk, actor=team[QA], note="First")
        with pytest.raises(Refused, match="already done"):
            services.duty_done(duty_id=d.pk, actor=team[QA], note="Second")
        assert refresh(d).note == "First"

    def test_someone_else_is_forbidden(self, team, build):
        release = build.deployed()
        d = duty(release, QA, DutyPhase.RELEASE_DAY)
        with pytest.raises(PermissionDenied, match="Only the QA Lead"):
            services.duty_done(duty_id=d.pk, actor=team[DEVOPS])
        assert refresh(d).state == DutyState.OPEN

    def test_an_unknown_duty_is_refused(self, team):
        with pytest.raises(Refused, match="This duty does not exist"):
            services.duty_done(duty_id=987654, actor=team[QA])


class TestDeployAnnouncement:
    def test_one_email_per_person_with_their_duties_and_the_notes(self, team, build):
        release = build.deployed(known_issues="Export slow on Safari")
        sent = per_person("release_deployed")
        assert sent == Counter({email(k): 1 for k in RoleKey.values} | {email("qa-backup"): 1})
        qa = Notification.objects.get(kind="release_deployed", to_email=email(QA))
        assert "As QA Lead, today: Execute production smoke tests" in qa.body_text
        assert "As QA Lead, after the release: Monitor for quality regressions" in qa.body_text
        assert "Export slow on Safari" in qa.body_text  # the release notes
        assert f"/releases/{release.pk}/#duties" in qa.body_text
        assert "Announce release to customers" not in qa.body_text  # not the QA Lead's
        backup = Notification.objects.get(kind="release_deployed", to_email=email("qa-backup"))
        assert "Execute production smoke tests" in backup.body_text

    def test_devops_and_the_project_manager_keep_their_hand_off_in_the_one_email(self, team, build):
        build.deployed(known_issues="Export slow on Safari")
        devops = Notification.objects.get(kind="release_deployed", to_email=email(DEVOPS))
        assert (
            "As DevOps Engineer, hand off deployment status and system health metrics to the "
            "Project Manager" in devops.body_text
        )
        pm = Notification.objects.get(kind="release_deployed", to_email=email(PM))
        assert "hand off release notes and known issues to the Customer Success Manager" in (
            pm.body_text
        )
        assert "Export slow on Safari" in pm.body_text
        assert not Notification.objects.filter(kind="handoff_due").exists()

    def test_someone_holding_two_roles_gets_one_email_listing_both(self, team, build):
        # Two roles for one person by default: a team that has separation of duties off.
        services.separation_set(enabled=False, actor=team.admin)
        for key in (UX, CSM):
            DefaultHolder.objects.filter(role__key=key).update(holder=team.outsider)
            team.holders[key] = team.outsider  # who signs and ticks for the role
        build.deployed()
        assert per_person("release_deployed")[email("outsider")] == 1
        both = Notification.objects.get(kind="release_deployed", to_email=email("outsider"))
        assert "as UX Designer and Customer Success Manager" in both.subject
        assert "As UX Designer, today: Review production UI/UX" in both.body_text
        assert "As Customer Success Manager, today: Announce release to customers" in (
            both.body_text
        )

    def test_the_final_decision_shows_who_recorded_it(self, build):
        build.deployed()
        prod = Notification.objects.get(kind="release_deployed", to_email=email(PROD))
        assert "Approve final release decision (done by product-manager)" in prod.body_text

    def test_the_release_day_and_post_release_duties_are_marked_announced(self, build):
        release = build.deployed()
        announced = release.duties.filter(announced_at=release.deployed_at)
        assert announced.count() == 14
        assert not announced.filter(phase=DutyPhase.PRE_RELEASE).exists()


class TestFollowUpListsOnlyOpenDuties:
    def test_a_done_post_release_duty_is_not_asked_again_at_24_hours(self, team, build):
        release = build.deployed()
        for key in (QA, UX):
            services.duty_done(
                duty_id=duty(release, key, DutyPhase.POST_RELEASE).pk, actor=team[key]
            )
        follow_ups.run_follow_ups(now=timezone.now() + timedelta(hours=25))
        sent = per_person("post_release_duties")
        assert email(QA) not in sent and email("qa-backup") not in sent and email(UX) not in sent
        assert sent == Counter({email(k): 1 for k in (DEVOPS, BA, CSM, PROD, PM)})
        ba = Notification.objects.get(kind="post_release_duties", to_email=email(BA))
        assert "As Business Analyst: Coordinate UAT if needed." in ba.body_text

    def test_the_customer_success_manager_is_still_asked_for_the_feedback_hand_off(
        self, team, build
    ):
        release = build.deployed()
        services.duty_done(duty_id=duty(release, CSM, DutyPhase.POST_RELEASE).pk, actor=team[CSM])
        follow_ups.run_follow_ups(now=timezone.now() + timedelta(hours=25))
        csm = Notification.objects.get(kind="post_release_duties", to_email=email(CSM))
        assert "hand off early customer feedback" in csm.body_text
        assert "Monitor customer feedback and adoption" not in csm.body_text


class TestMyWork:
    def test_the_product_manager_sees_the_final_decision_once_approved(self, team, build):
        staging = build.staging()
        assert not selectors.my_work(team[PROD]).duties
        release = build.approved()
        work = selectors.my_work(team[PROD])
        assert [(d.release_id, d.phase) for d in work.duties] == [
            (release.pk, DutyPhase.RELEASE_DAY)
        ]
        assert staging.pk not in {d.release_id for d in work.duties}
        build.final_decision(release)
        assert not selectors.my_work(team[PROD]).duties

    def test_after_the_deploy_each_holder_sees_their_open_duties(self, team, build: Builder):
        release = build.deployed()
        work = selectors.my_work(team[QA])
        assert [d.text for d in work.duties] == [
            "Execute production smoke tests",
            "Monitor for quality regressions",
        ]
        assert work.duties.total == 2
        services.duty_done(duty_id=duty(release, QA, DutyPhase.RELEASE_DAY).pk, actor=team[QA])
        assert [d.text for d in selectors.my_work(team.backup).duties] == [
            "Monitor for quality regressions"
        ]
        assert not selectors.my_work(team.outsider).duties

    def test_done_duties_leave_nothing(self, team: Team, build: Builder):
        release = build.post_release_done(build.deployed())
        assert not release.duties.filter(state=DutyState.OPEN).exists()
        for key in RoleKey.values:
            assert not selectors.my_work(team[key]).duties
