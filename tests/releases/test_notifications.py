"""Who hears about what, reminders and follow-ups, and that a failing mail path never undoes
an action. The outbox itself (one row per event and person, sent once, retried) is tested in
tests/notifications/.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from notifications import delivery
from notifications.models import Notification, NotificationState
from releases import reminders, services
from releases.chase import follow_ups
from releases.models import FollowUp, RoleKey
from signoffs import services as gate_services
from signoffs.models import SignOff

from ..builders import celery_broker, gate
from ..notifications.smtp import refusing_smtp as refusing

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def kinds() -> list[tuple[str, str]]:
    return sorted(Notification.objects.values_list("kind", "to_email"))


def to(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("to_email", flat=True))


def email(username: str) -> str:
    return f"{username}@example.com"


@pytest.fixture
def refusing_smtp(settings: Any) -> Iterator[int]:
    with refusing(settings) as port:
        yield port


class TestEvents:
    def test_staging_asks_each_holder_and_backup_to_sign_with_a_direct_link(
        self, team, build, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            release = build.staging()
        assert to("gate_opened") == {email(k) for k in (QA, DEVOPS, BA, UX, CSM, PROD)} | {
            email("qa-backup")
        }
        qa_mail = next(m for m in mail.outbox if m.to == [email(QA)])
        assert qa_mail.subject.startswith("[OctoAcme Releases] Your sign-off is requested")
        link = f"http://127.0.0.1:8000/gates/{gate(release, QA).pk}/"
        assert link in qa_mail.body
        assert link in qa_mail.alternatives[0].content
        assert "Test completion confirmation" in qa_mail.body

    def test_a_rejection_tells_both_managers(self, team, build):
        release = build.staging()
        gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason="Contrast")
        assert to("gate_rejected") == {email(PM), email(PROD)}
        assert (
            "Reason: Contrast"
            in Notification.objects.get(kind="gate_rejected", to_email=email(PM)).body_text
        )

    def test_stale_approvals_tell_their_signers(self, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "More"})
        assert to("approval_stale") == {email(QA), email(DEVOPS)}

    def test_six_approvals_ask_the_project_manager_then_approval_tells_devops(self, team, build):
        release = build.staging()
        build.proceed(release)
        build.six(release)
        assert to("confirm_signoffs") == {email(PM)}
        build.approve(release, PM)
        assert to("release_approved") == {email(DEVOPS)}

    def test_the_deploy_starts_the_handoffs_with_the_release_notes(self, team, build):
        build.deployed(known_issues="Export slow on Safari")
        # One email each (tests/releases/test_duties.py counts them): duties, hand-offs, notes.
        assert to("release_deployed") == {email(k) for k in RoleKey.values} | {email("qa-backup")}
        to_pm = Notification.objects.get(kind="release_deployed", to_email=email(PM))
        assert "Export slow on Safari" in to_pm.body_text
        assert "hand off release notes and known issues to the Customer Success" in (
            to_pm.body_text
        )
        assert FollowUp.objects.count() == 2

    def test_incidents_and_rollbacks_reach_on_call(self, team, build, settings):
        settings.ONCALL_EMAILS = ["pager@example.com"]
        build.closed(version="1.0.0", release_type="major")
        bad = build.deployed(version="1.1.0", release_type="minor")
        incident = services.incident_open(release_id=bad.pk, actor=team[QA], title="500s")
        assert "pager@example.com" in to("incident_opened")
        services.incident_record_rollback(incident_id=incident.pk, actor=team[DEVOPS])
        assert {"pager@example.com", email(PM), email(CSM)} <= to("rollback_recorded")

    def test_each_notice_names_the_release_it_is_about(self, team, build):
        release = build.staging()
        assert set(Notification.objects.values_list("release_id", flat=True)) == {release.pk}

    def test_typed_html_stays_text_in_emails(self, team, build):
        release = build.staging()
        evil = "<script>alert(1)</script>"
        gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason=evil)
        notice = Notification.objects.filter(kind="gate_rejected").first()
        assert "<script>" not in notice.body_html
        assert "&lt;script&gt;" in notice.body_html


class TestDeliveryFailures:
    """A refused or unreachable mail path never undoes the action that caused the notice."""

    def test_an_smtp_refusal_keeps_the_notice_and_the_action_succeeds(
        self, team, build, refusing_smtp, settings, django_capture_on_commit_callbacks
    ):
        release = build.staging()
        with django_capture_on_commit_callbacks(execute=True):
            gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason="No")
        assert gate(release, UX).state == "rejected"  # the decision stands
        notices = Notification.objects.filter(kind="gate_rejected")
        assert {n.state for n in notices} == {NotificationState.PENDING}
        notice = notices.first()
        assert notice.tries == 1 and "554" in notice.last_error
        assert notice.next_attempt_at > timezone.now()
        # The SMTP server comes back: the sweep, once the backoff has passed, delivers.
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        delivery.sweep()
        assert set(notices.values_list("state", flat=True)) == {"pending"}  # backing off
        with time_machine.travel(timezone.now() + timedelta(minutes=5)):
            delivery.sweep()
        assert set(notices.values_list("state", flat=True)) == {"sent"}
        rejected = [m for m in mail.outbox if "rejected" in m.subject]
        assert sorted(m.to[0] for m in rejected) == sorted([email(PM), email(PROD)])

    def test_a_dead_broker_delays_mail_but_loses_nothing(
        self, team, build, django_capture_on_commit_callbacks
    ):
        release = build.staging()
        # Nothing listens on port 1: publishing fails as it does when Redis is down.
        with (
            celery_broker("redis://127.0.0.1:1/0"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason="Broken")
        assert gate(release, UX).state == "rejected"
        assert Notification.objects.filter(kind="gate_rejected", state="pending").count() == 2
        assert not [m for m in mail.outbox if "rejected" in m.subject]
        delivery.sweep()
        assert len([m for m in mail.outbox if "rejected" in m.subject]) == 2


class TestReminders:
    def test_one_digest_per_person_per_interval_listing_every_pending_gate(self, team, build):
        start = timezone.now()
        first = build.staging(name="One")
        second = build.staging(name="Two")
        with time_machine.travel(start + timedelta(hours=23)):
            assert reminders.send_reminders()["digests"] == 0
        with time_machine.travel(start + timedelta(hours=25)):
            result = reminders.send_reminders()
            assert reminders.send_reminders()["digests"] == 0  # run twice: still one each
        # Six holders plus the QA backup, one digest each.
        assert result["digests"] == 7
        digest = Notification.objects.get(kind="reminder_digest", to_email=email(QA))
        for release in (first, second):
            assert f"/gates/{gate(release, QA).pk}/" in digest.body_text
        with time_machine.travel(start + timedelta(hours=49, minutes=1)):
            assert reminders.send_reminders()["digests"] == 7
        assert Notification.objects.filter(kind="reminder_digest", to_email=email(QA)).count() == 2

    def test_decided_gates_are_not_reminded(self, team, build):
        start = timezone.now()
        release = build.staging()
        build.approve(release, QA)
        with time_machine.travel(start + timedelta(hours=25)):
            reminders.send_reminders()
        assert email(QA) not in to("reminder_digest")
        assert email("qa-backup") not in to("reminder_digest")

    def test_it_escalates_after_two_reminders(self, team, build, settings):
        settings.SIGNOFF_REMINDER_ESCALATE_AFTER = 2
        start = timezone.now()
        build.staging()
        with time_machine.travel(start + timedelta(hours=25)):
            assert reminders.send_reminders()["escalations"] == 0
        with time_machine.travel(start + timedelta(hours=50)):
            assert reminders.send_reminders()["escalations"] == 1
            assert reminders.send_reminders()["escalations"] == 0
        assert to("escalation") == {email(PM)}
        assert (
            "QA Lead (2 reminder(s) sent)" in Notification.objects.get(kind="escalation").body_text
        )
        # Insights counts the escalation on each gate it listed, once.
        counts = SignOff.objects.filter(opened_at__isnull=False).values_list(
            "role__key", "reminders_sent", "escalations_sent"
        )
        assert (QA, 2, 1) in set(counts)
        assert {e for _, _, e in counts} == {1}  # the six open gates, each listed once

    def test_batches_of_people_still_make_one_digest_each_listing_every_gate(
        self, team, build, settings, monkeypatch
    ):
        monkeypatch.setattr(reminders, "PEOPLE_PER_BATCH", 2)  # 7 people: 4 batches
        settings.SIGNOFF_REMINDER_ESCALATE_AFTER = 1
        start = timezone.now()
        releases = [build.staging() for _ in range(3)]
        with time_machine.travel(start + timedelta(hours=25)):
            assert reminders.send_reminders() == {"digests": 7, "escalations": 1}
            assert reminders.send_reminders() == {"digests": 0, "escalations": 0}
        digests = Notification.objects.filter(kind="reminder_digest")
        assert sorted(digests.values_list("to_email", flat=True)) == sorted(
            [email(k) for k in (QA, DEVOPS, BA, UX, CSM, PROD)] + [email("qa-backup")]
        )
        for digest in digests:
            assert digest.body_text.count("/gates/") == 3, digest.to_email
        # The Project Manager hears once about every late gate of the three releases.
        (escalation,) = Notification.objects.filter(kind="escalation")
        assert escalation.to_email == email(PM)
        for release in releases:
            assert f"{release.name} ({release.version}): QA Lead (1 reminder(s) sent" in (
                escalation.body_text
            )
        assert escalation.body_text.count("/releases/") == 18

    def test_it_escalates_at_once_when_the_window_is_under_a_day_away(self, team, build):
        build.staging(window_start=timezone.now() + timedelta(hours=20))
        assert reminders.send_reminders()["escalations"] == 1
        assert to("escalation") == {email(PM)}


class TestFollowUps:
    def test_at_24_hours_each_role_gets_its_post_release_duties(self, team, build):
        start = timezone.now()
        build.deployed()
        with time_machine.travel(start + timedelta(hours=23)):
            assert follow_ups.run_follow_ups()["done"] == 0
        with time_machine.travel(start + timedelta(hours=24, minutes=1)):
            assert follow_ups.run_follow_ups()["done"] == 1
            assert follow_ups.run_follow_ups()["done"] == 0
        assert to("post_release_duties") == {email(k) for k in RoleKey.values} | {
            email("qa-backup")
        }
        csm = Notification.objects.get(kind="post_release_duties", to_email=email(CSM))
        assert "Monitor customer feedback and adoption" in csm.body_text
        assert "hand off early customer feedback and adoption metrics" in csm.body_text

    def test_at_48_hours_an_unsent_feedback_handoff_is_escalated(self, team, build):
        start = timezone.now()
        build.deployed()
        with time_machine.travel(start + timedelta(hours=48, minutes=1)):
            follow_ups.run_follow_ups()
        assert to("feedback_overdue") == {email(PROD), email(PM)}

    def test_a_feedback_handoff_sent_in_time_stops_the_escalation(self, team, build):
        start = timezone.now()
        release = build.deployed()
        handoff = release.handoffs.get(template__key="csm-to-product-manager")
        services.handoff_send(handoff_id=handoff.pk, actor=team[CSM], notes="NPS 42")
        with time_machine.travel(start + timedelta(hours=48, minutes=1)):
            follow_ups.run_follow_ups()
        assert to("feedback_overdue") == set()
