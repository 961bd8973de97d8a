"""Hand-offs on release day: the receiver records the guide's expected action (the DevOps
Engineer's "proceed" or "hold" on the QA Lead's hand-off), each hand-off falls due by the
guide's timing when its phase starts, and a late one is chased once and escalated once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.chase.handoffs import chase_handoffs
from releases.models import AuditEvent, Handoff, HandoffState, Release, RoleKey, Stage
from signoffs.models import GateState

from ..builders import Builder, Team, gate, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM, PROD, CSM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def qa_handoff(release: Release) -> Handoff:
    return release.handoffs.select_related("template").get(template__key="qa-to-devops")


def sent_to(kind: str) -> list[str]:
    return sorted(
        n.recipient.username if n.recipient else n.to_email
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    )


def send(team: Team, release: Release) -> Handoff:
    h = qa_handoff(release)
    services.handoff_send(handoff_id=h.pk, actor=team[QA], notes="412 tests pass.")
    return h


class TestTheReceiverDecides:
    def test_a_hold_on_an_approved_release_sends_it_back_to_staging(self, team, build):
        release = build.approved()
        Notification.objects.all().delete()
        h = qa_handoff(release)
        services.handoff_acknowledge(
            handoff_id=h.pk, actor=team[DEVOPS], decision="hold", response="Disk at 95 %."
        )
        release = refresh(release)
        assert release.stage == Stage.STAGING
        assert gate(release, PM).state == GateState.PENDING
        hold = AuditEvent.objects.get(release=release, verb="handoff.hold")
        assert (hold.actor, hold.comment) == (team[DEVOPS], "Disk at 95 %.")
        reopen = AuditEvent.objects.get(release=release, verb="release.reopen")
        assert "put a hold on: Disk at 95 %." in reopen.comment
        # One email each: the QA Lead, the Project Manager and the Product Manager; the
        # "back in staging" news is in it, not in a second email.
        assert sent_to("handoff_decided") == sorted([QA, "qa-backup", PM, PROD])
        assert sent_to("release_reopened") == []
        [notice] = Notification.objects.filter(kind="handoff_decided", recipient=team[PM])
        assert "back in staging" in notice.body_text and "Disk at 95 %." in notice.body_text

    def test_the_hold_blocks_confirmation_until_devops_lifts_it(self, team, build):
        release = build.held()  # The QA Lead approved already.
        build.approve(release, *[k for k in RoleKey.values if k not in (PM, QA)])
        assert gate(release, PM).opened_at is None
        h = qa_handoff(release)
        services.handoff_acknowledge(
            handoff_id=h.pk, actor=team[DEVOPS], decision="proceed", response="Disk cleaned."
        )
        assert gate(release, PM).opened_at is not None
        assert AuditEvent.objects.filter(release=release, verb="handoff.hold_lifted").count() == 1

    def test_new_results_from_qa_keep_a_hold_on(self, team, build):
        release = build.held()
        h = send(team, release)
        assert (refresh(h).state, refresh(h).decision) == (HandoffState.SENT, "hold")

    def test_a_hold_needs_a_note_and_changes_nothing_without_one(self, team, build):
        release = build.staging()
        h = send(team, release)
        events = AuditEvent.objects.count()
        with pytest.raises(ValidationError, match="Why hold"):
            services.handoff_acknowledge(
                handoff_id=h.pk, actor=team[DEVOPS], decision="hold", response="\r\n  "
            )
        assert (refresh(h).state, refresh(h).decision) == (HandoffState.SENT, "")
        assert AuditEvent.objects.count() == events

    def test_nobody_answers_their_own_hand_off(self, team, build):
        release = build.staging()
        # One person holds both ends: backup QA Lead and DevOps Engineer, which separation
        # of duties allows only with an admin's exception.
        services.duty_exception_record(
            release_id=release.pk, person=team.backup, reason="Small team", actor=team.admin
        )
        services.role_assign(
            release_id=release.pk,
            role_key=DEVOPS,
            holder=team[DEVOPS],
            backup=team.backup,
            actor=team.admin,
        )
        h = qa_handoff(release)
        services.handoff_send(handoff_id=h.pk, actor=team.backup, notes="Green.")
        with pytest.raises(Refused, match="You sent the QA Lead → DevOps Engineer hand-off"):
            services.handoff_acknowledge(handoff_id=h.pk, actor=team.backup, decision="proceed")
        assert refresh(h).state == HandoffState.SENT
        services.handoff_acknowledge(handoff_id=h.pk, actor=team[DEVOPS], decision="proceed")
        assert refresh(h).decision == "proceed"

    def test_the_qa_lead_cannot_decide(self, team, build):
        release = build.staging()
        h = send(team, release)
        with pytest.raises(PermissionDenied):
            services.handoff_acknowledge(handoff_id=h.pk, actor=team[QA], decision="proceed")

    def test_the_same_answer_twice_is_refused(self, team, build):
        release = build.staging()
        build.proceed(release)
        with pytest.raises(ValidationError, match="already says"):
            services.handoff_acknowledge(
                handoff_id=qa_handoff(release).pk, actor=team[DEVOPS], decision="proceed"
            )


class TestDueTimes:
    def test_the_qa_hand_off_falls_due_when_sign_off_starts(self, build):
        release = build.staging()
        h = qa_handoff(release)
        assert h.due_at == release.staged_at + timedelta(hours=24)
        assert h.overdue_at == release.staged_at + timedelta(hours=48)

    @override_settings(
        HANDOFF_DUE={
            "qa-to-devops": (24, 48),
            "devops-to-project-manager": (2, 4),
            "project-manager-to-csm": (0, 1),
            "csm-to-product-manager": (24, 48),
        }
    )
    def test_post_release_hand_offs_fall_due_from_the_deploy(self, build):
        release = build.deployed()
        due = {
            h.template.key: (h.due_at - release.deployed_at, h.overdue_at - release.deployed_at)
            for h in release.handoffs.select_related("template").filter(
                template__phase="post_deploy"
            )
        }
        hours = {
            k: (d.total_seconds() / 3600, o.total_seconds() / 3600) for k, (d, o) in due.items()
        }
        assert hours == {
            "devops-to-project-manager": (2, 4),
            "project-manager-to-csm": (0, 1),
            "csm-to-product-manager": (24, 48),
        }


class TestChasing:
    def deployed(self, build: Builder) -> Release:
        release = build.deployed()
        Notification.objects.all().delete()
        return release

    def test_the_sender_is_reminded_once_then_the_pm_is_told_once(self, team, build):
        release = self.deployed(build)
        at = release.deployed_at
        # "Immediately after production deployment": the Project Manager -> CSM hand-off is
        # due at once.
        counts = chase_handoffs(at + timedelta(minutes=30))
        assert counts == {"handoff_reminders": 1, "handoff_escalations": 0}
        assert sent_to("handoff_due") == [PM]
        assert chase_handoffs(at + timedelta(minutes=31))["handoff_reminders"] == 0

        counts = chase_handoffs(at + timedelta(hours=5))
        # The DevOps Engineer's (due 2 h) is reminded; two are overdue (1 h and 4 h).
        assert counts == {"handoff_reminders": 1, "handoff_escalations": 2}
        assert sent_to("handoff_due") == sorted([PM, DEVOPS])
        # The Project Manager's own late hand-off goes up to the Product Manager.
        assert sent_to("handoff_overdue") == sorted([PM, PROD])
        subjects = sorted(
            Notification.objects.filter(kind="handoff_overdue").values_list("subject", flat=True)
        )
        assert "DevOps Engineer → Project Manager" in subjects[0]
        assert chase_handoffs(at + timedelta(hours=6)) == {
            "handoff_reminders": 0,
            "handoff_escalations": 0,
        }

    def test_a_sent_hand_off_reminds_its_receiver_and_an_answered_one_nobody(self, team, build):
        release = self.deployed(build)
        at = release.deployed_at
        devops = release.handoffs.get(template__key="devops-to-project-manager")
        services.handoff_send(handoff_id=devops.pk, actor=team[DEVOPS], notes="Healthy.")
        pm = release.handoffs.get(template__key="project-manager-to-csm")
        services.handoff_send(handoff_id=pm.pk, actor=team[PM], notes="Notes attached.")
        services.handoff_acknowledge(handoff_id=pm.pk, actor=team[CSM])
        Notification.objects.all().delete()
        chase_handoffs(at + timedelta(hours=3))
        # The PM owes the acknowledgement of the DevOps hand-off; the CSM's hand-off is
        # answered; the CSM's own is not due for a day.
        assert sent_to("handoff_due") == [PM]
        [notice] = Notification.objects.filter(kind="handoff_due")
        assert "acknowledge the DevOps Engineer → Project Manager hand-off" in notice.body_text

    def test_a_finished_release_chases_nothing(self, team, build):
        release = self.deployed(build)
        Release.objects.filter(pk=release.pk).update(stage=Stage.ROLLED_BACK)
        assert chase_handoffs(timezone.now() + timedelta(days=3)) == {
            "handoff_reminders": 0,
            "handoff_escalations": 0,
        }

    def test_two_sweeps_at_once_tell_each_person_once(self, team, build):
        release = self.deployed(build)
        later = release.deployed_at + timedelta(hours=5)
        first = chase_handoffs(later)
        second = chase_handoffs(later)
        assert second == {"handoff_reminders": 0, "handoff_escalations": 0}
        assert Notification.objects.count() == sum(first.values())
