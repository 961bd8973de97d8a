"""A team's weeks, not one release: several releases in flight, browser edits, the admin,
reassignments and rollbacks (issue #19). Each test failed on the code before the fix."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.changes import edit_token
from releases.models import (
    Handoff,
    HandoffState,
    Release,
    RoleAssignment,
    RoleKey,
    Stage,
)
from signoffs import services as gate_services
from signoffs.models import GateState

from ..builders import gate, refresh
from .test_admin import assignment_post

pytestmark = pytest.mark.django_db

PM, PROD, QA, DEVOPS, BA = (
    RoleKey.PROJECT_MANAGER,
    RoleKey.PRODUCT_MANAGER,
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.BUSINESS_ANALYST,
)


def edit_post(release: Release, **changes: Any) -> dict[str, Any]:
    """What a browser sends back from the edit page: CRLF line ends, minutes in the window."""
    data: dict[str, Any] = {}
    for field in Release.EDITABLE_FIELDS:
        value = getattr(release, field)
        if field.startswith("window_"):
            value = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M") if value else ""
        else:
            value = (value or "").replace("\n", "\r\n")
        data[field] = value
    data["seen"] = edit_token(release)
    data.update(changes)
    return data


def mails(kind: str) -> list[Notification]:
    return list(Notification.objects.filter(kind=kind).select_related("recipient"))


def to(kind: str) -> set[str]:
    return {n.recipient.username for n in mails(kind)}


class TestReleaseTrain:
    def test_releases_in_flight_stay_editable_when_a_higher_version_ships(
        self, client, team, build
    ):
        build.deployed(version="1.1.0", release_type="major")
        staging = build.staging(version="1.1.1", release_type="patch")
        approved = build.approved(version="1.2.0", release_type="minor")
        build.deployed(version="1.3.0", release_type="minor")
        client.force_login(team[PM])
        for release in (staging, approved):
            release = refresh(release)
            response = client.post(
                reverse("release-edit", args=[release.pk]),
                edit_post(release, name=f"{release.name} renamed"),
            )
            assert response.status_code == 302, response.content.decode()[-3000:]
            assert refresh(release).name.endswith("renamed")
            assert refresh(release).stage == release.stage  # nothing turned stale
        # And the admin may still reassign their roles.
        client.force_login(team.admin)
        response = client.post(
            reverse("admin:releases_release_change", args=[staging.pk]),
            assignment_post(refresh(staging), ux_designer__holder=team.outsider.pk),
        )
        assert response.status_code == 302
        assert RoleAssignment.objects.get(release=staging, role__key="ux-designer").holder == (
            team.outsider
        )

    def test_a_new_version_is_still_checked_against_production(self, team, build):
        build.deployed(version="1.3.0", release_type="major")
        staging = build.create(version="1.4.0", release_type="minor")
        with pytest.raises(ValidationError, match=r"does not come after 1\.3\.0"):
            services.release_update(
                release_id=staging.pk, actor=team[PM], data={"version": "1.2.9"}
            )

    def test_deploying_below_production_needs_a_deliberate_downgrade(self, client, team, build):
        build.deployed(version="1.1.0", release_type="major")
        older = build.ready_to_deploy(version="1.2.0", release_type="minor")
        newer = build.deployed(version="1.3.0", release_type="minor")
        events = older.audit_events.count()
        with pytest.raises(Refused, match=r"1\.2\.0 is lower than 1\.3\.0"):
            services.release_record_deploy(release_id=older.pk, actor=team[DEVOPS])
        assert refresh(older).stage == Stage.APPROVED
        assert older.audit_events.count() == events
        # The page asks for the reason before anyone clicks.
        client.force_login(team[DEVOPS])
        page = client.get(reverse("release-detail", args=[older.pk])).content.decode()
        assert "Why downgrade?" in page
        response = client.post(
            reverse("release-action", args=[older.pk, "deploy"]),
            {"downgrade_reason": "1.3.0 corrupts exports."},
        )
        assert response.status_code == 302
        older, newer = refresh(older), refresh(newer)
        assert older.stage == Stage.DEPLOYED
        assert newer.superseded_by == older
        assert list(Release.objects.in_production()) == [older]
        event = older.audit_events.get(verb="release.downgrade")
        assert "1.3.0 corrupts exports." in event.comment
        assert to("downgrade_deployed") == set(RoleKey.values) | {"qa-backup"}

    def test_exactly_one_release_is_in_production(self, team, build):
        first = build.deployed(version="1.0.0", release_type="major")
        second = build.deployed(version="1.1.0", release_type="minor")
        third = build.deployed(version="1.1.1", release_type="patch")
        assert list(Release.objects.in_production()) == [third]
        assert refresh(first).superseded_by == second
        assert refresh(second).superseded_by == third
        assert second.audit_events.filter(verb="release.superseded").count() == 1


class TestBrowserEdits:
    def test_sending_the_form_back_unchanged_stales_nothing(self, client, team, build):
        window = timezone.now().replace(microsecond=123456) + timedelta(days=2, seconds=17)
        release = build.approved(
            notable_changes="- one\n- two\n",  # stored before normalization: trailing newline
            window_start=window,
            window_end=window + timedelta(hours=2),
        )
        # Old rows may carry what normalization now trims.
        Release.objects.filter(pk=release.pk).update(summary="Summary  \n", window_start=window)
        release = refresh(release)
        client.force_login(team[PM])
        response = client.post(
            reverse("release-edit", args=[release.pk]), edit_post(release, name="Renamed")
        )
        assert response.status_code == 302, response.content.decode()[-2000:]
        release = refresh(release)
        assert release.name == "Renamed"
        assert release.stage == Stage.APPROVED
        assert not release.signoffs.exclude(state=GateState.APPROVED).exists()
        assert release.audit_events.filter(verb="release.edited").last().comment == (
            "Changed: release name / number."
        )

    def test_a_window_change_on_an_approved_release_does_not_ask_to_stale(
        self, client, team, build
    ):
        release = build.approved()
        later = timezone.localtime() + timedelta(days=3)
        client.force_login(team[PM])
        response = client.post(
            reverse("release-edit", args=[release.pk]),
            edit_post(
                release,
                window_start=later.strftime("%Y-%m-%dT%H:%M"),
                window_end=(later + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            ),
        )
        assert response.status_code == 302
        assert refresh(release).stage == Stage.APPROVED

    def test_a_line_break_in_the_name_is_refused_not_hidden(self, team, build):
        # It would end up in email subjects; see tests/releases/test_one_line_fields.py.
        with pytest.raises(ValidationError, match="The release name must be on one line"):
            build.create(name="Payments\r\nBcc: x@evil.example")


class TestAdmin:
    def test_saving_a_deployed_release_reassigns_without_a_server_error(self, client, team, build):
        release = build.deployed()
        client.force_login(team.admin)
        url = reverse("admin:releases_release_change", args=[release.pk])
        response = client.post(
            url, assignment_post(release, customer_success_manager__holder=team.outsider.pk)
        )
        assert response.status_code == 302
        csm = RoleAssignment.objects.get(release=release, role__key="customer-success-manager")
        assert csm.holder == team.outsider

    def test_a_refusal_is_a_message_not_a_500(self, client, team, build):
        from django.contrib.auth.models import Permission

        release = build.create()
        staff = team.outsider
        staff.is_staff = True
        staff.save()
        staff.user_permissions.set(
            Permission.objects.filter(
                codename__in=["view_release", "change_release", "change_roleassignment"]
            )
        )
        client.force_login(staff)
        url = reverse("admin:releases_release_change", args=[release.pk])
        # May reassign roles (nothing of the release itself changes)...
        response = client.post(url, assignment_post(release, ux_designer__holder=staff.pk))
        assert response.status_code == 302
        assert RoleAssignment.objects.get(release=release, role__key="ux-designer").holder == staff
        # ...but not edit what only its managers edit: told so, nothing saved.
        response = client.post(url, {**assignment_post(release), "name": "Renamed"}, follow=True)
        assert response.status_code == 200
        assert "The release was not saved: Only the holder or backup" in (response.content.decode())
        assert refresh(release).name != "Renamed"

    def test_a_scope_edit_asks_before_staling_approvals(self, client, team, build):
        release = build.staging()
        build.approve(release, QA, DEVOPS)
        client.force_login(team.admin)
        url = reverse("admin:releases_release_change", args=[release.pk])
        response = client.post(url, {**assignment_post(release), "summary": "New scope"})
        assert response.status_code == 200
        assert "2 approval(s) will turn stale" in response.content.decode()
        assert refresh(release).summary == "Summary"
        assert gate(release, QA).state == GateState.APPROVED
        response = client.post(
            url, {**assignment_post(release), "summary": "New scope", "confirm_stale": "on"}
        )
        assert response.status_code == 302
        assert gate(release, QA).stale


class TestFinalGate:
    def test_it_opens_only_once_qa_says_proceed(self, client, team, build):
        release = build.staging()
        build.six(release)
        final = gate(release, PM)
        assert final.opened_at is None
        assert not mails("confirm_signoffs")
        client.force_login(team[PM])
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert "Waiting for the QA Lead (qa-lead) to hand off" in page
        my_work = client.get(reverse("my-work")).content.decode()
        assert "Project Manager</strong> sign-off" not in my_work
        build.proceed(release)
        assert gate(release, PM).opened_at is not None
        assert to("confirm_signoffs") == {PM}

    def test_a_hold_closes_it_again(self, team, build):
        release = build.staging()
        build.proceed(release)
        build.six(release)
        assert gate(release, PM).opened_at is not None
        build.proceed(release, decision="hold")
        assert gate(release, PM).opened_at is None


class TestWhoHears:
    def test_revoking_on_an_approved_release_tells_the_pm_and_devops(self, team, build):
        release = build.approved()
        gate_services.gate_revoke(gate_id=gate(release, BA).pk, actor=team[BA])
        assert refresh(release).stage == Stage.STAGING
        assert to("gate_revoked") == {PM, DEVOPS}
        [notice] = [n for n in mails("gate_revoked") if n.recipient.username == DEVOPS]
        assert "do not deploy" in notice.body_text

    def test_rejecting_on_an_approved_release_tells_devops_once(self, team, build):
        release = build.approved()
        gate_services.gate_reject(gate_id=gate(release, BA).pk, actor=team[BA], reason="Bug")
        assert to("gate_rejected") == {PM, PROD, DEVOPS}
        assert len(mails("gate_rejected")) == 3
        assert not mails("release_reopened")

    def test_cancelling_an_approved_release_tells_everyone_with_a_role(self, team, build):
        release = build.approved()
        services.release_cancel(release_id=release.pk, actor=team[PM], reason="Market changed.")
        assert to("release_cancelled") == set(RoleKey.values) | {"qa-backup"}
        [notice] = [n for n in mails("release_cancelled") if n.recipient.username == DEVOPS]
        assert "must not be deployed" in notice.body_text

    def test_a_holder_assigned_to_an_open_gate_is_asked_at_once(self, team, build):
        release = build.staging()
        Notification.objects.all().delete()
        services.role_assign(
            release_id=release.pk, role_key=BA, holder=team.outsider, actor=team.admin
        )
        assert to("gate_opened") == {"outsider"}
        assert to("role_unassigned") == {BA}

    def test_the_old_holders_approval_stops_counting(self, team, build):
        release = build.approved()
        Notification.objects.all().delete()
        services.role_assign(
            release_id=release.pk, role_key=BA, holder=team.outsider, actor=team.admin
        )
        ba = gate(release, BA)
        assert (ba.state, ba.stale) == (GateState.PENDING, True)
        assert refresh(release).stage == Stage.STAGING
        assert to("gate_opened") == {"outsider"}
        # The old holder is told the role moved on, not asked to sign again.
        assert not mails("approval_stale")
        assert to("role_unassigned") == {BA}
        assert to("release_reopened") == {DEVOPS, PM}

    def test_a_pm_whose_confirmation_went_stale_is_not_asked_to_sign_a_closed_gate(
        self, team, build
    ):
        release = build.approved()
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "New"})
        assert gate(release, PM).opened_at is None
        [notice] = [n for n in mails("approval_stale") if n.recipient.username == PM]
        assert "Sign again" not in notice.subject
        assert "once the role gates are approved again" in notice.body_text
        assert reverse("gate-detail", args=[gate(release, PM).pk]) not in notice.body_text

    def test_a_scope_change_asks_qa_for_a_new_proceed(self, team, build):
        release = build.staging()
        build.proceed(release)
        services.release_update(release_id=release.pk, actor=team[PM], data={"summary": "New"})
        handoff = Handoff.objects.get(release=release, template__is_gate=True)
        assert (handoff.state, handoff.decision) == (HandoffState.PENDING, "")
        assert to("handoff_reset") == {QA, "qa-backup"}

    def test_a_backups_decision_says_for_whom(self, client, team, build):
        release = build.staging()
        gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team.backup)
        qa = gate(release, QA)
        assert (qa.decided_by, qa.decided_for) == (team.backup, team[QA])
        event = release.audit_events.get(verb="gate.approved")
        assert event.comment.startswith("For qa-lead, as backup.")
        client.force_login(team[PM])
        page = client.get(reverse("release-detail", args=[release.pk])).content.decode()
        assert "by qa-backup for qa-lead" in page
