"""Running the team: default holders (audited, the people named are told, optionally applied to
active releases), the separation-of-duties switch and its per-release exceptions."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from notifications.models import Notification
from octoacme.errors import Refused
from releases import services
from releases.models import (
    AuditEvent,
    DefaultHolder,
    DutyException,
    RoleAssignment,
    RoleKey,
    TeamSettings,
)
from signoffs.permissions import can_sign

from ..builders import gate
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def default(key: str) -> DefaultHolder:
    return DefaultHolder.objects.select_related("holder", "backup").get(role__key=key)


def holders(release, key: str) -> tuple[object, object]:
    a = RoleAssignment.objects.get(release=release, role__key=key)
    return a.holder, a.backup


def body(kind: str, to: str) -> str:
    return Notification.objects.get(kind=kind, to_email=f"{to}@example.com").body_text


class TestDefaultHolders:
    def test_an_admin_names_a_default_with_an_audit_event_and_an_email(self, team):
        dana = UserFactory(username="dana")
        services.default_holder_set(role_key=UX, holder=dana, backup=None, actor=team.admin)
        assert default(UX).holder == dana
        event = AuditEvent.objects.get(verb="default_holder.changed")
        assert event.release is None
        assert event.actor == team.admin
        assert event.subject == "UX Designer"
        assert event.comment == "Holder: dana (was ux-designer); backup: nobody (was nobody)."
        text = body("default_holder_named", "dana")
        assert "default holder of the UX Designer role" in text
        assert "/team/" in text
        # The one who was replaced is not told they were named.
        assert not Notification.objects.filter(to_email="ux-designer@example.com").exists()

    def test_a_new_backup_is_told_and_a_holder_who_stays_is_not_told_again(self, team):
        bo = UserFactory(username="bo")
        services.default_holder_set(role_key=UX, holder=team[UX], backup=bo, actor=team.admin)
        assert "default backup of the UX Designer role" in body("default_holder_named", "bo")
        assert Notification.objects.filter(kind="default_holder_named").count() == 1

    @pytest.mark.parametrize("who", ["outsider", UX, PM])
    def test_only_an_admin_may_change_a_default(self, team, who):
        actor = team.outsider if who == "outsider" else team[who]
        with pytest.raises(PermissionDenied):
            services.default_holder_set(role_key=UX, holder=team.outsider, backup=None, actor=actor)
        assert default(UX).holder == team[UX]
        assert not AuditEvent.objects.filter(verb="default_holder.changed").exists()

    def test_a_deactivated_person_cannot_be_named(self, team):
        gone = UserFactory(username="gone", is_active=False)
        with pytest.raises(ValidationError, match="gone is deactivated"):
            services.default_holder_set(role_key=UX, holder=gone, backup=None, actor=team.admin)
        with pytest.raises(ValidationError, match="gone is deactivated"):
            services.default_holder_set(role_key=UX, holder=team[UX], backup=gone, actor=team.admin)
        assert (default(UX).holder, default(UX).backup) == (team[UX], None)

    def test_bad_pairs_are_refused(self, team):
        with pytest.raises(ValidationError, match="someone other than the holder"):
            services.default_holder_set(
                role_key=UX, holder=team.outsider, backup=team.outsider, actor=team.admin
            )
        with pytest.raises(ValidationError, match="Name a holder before naming a backup"):
            services.default_holder_set(
                role_key=UX, holder=None, backup=team.outsider, actor=team.admin
            )
        with pytest.raises(ValidationError, match="Unknown role"):
            services.default_holder_set(role_key="janitor", holder=team.outsider, actor=team.admin)
        assert not AuditEvent.objects.exists()

    def test_a_default_that_gives_one_person_two_roles_is_refused(self, team):
        with pytest.raises(ValidationError) as refused:
            services.default_holder_set(role_key=UX, holder=team[QA], actor=team.admin)
        assert "qa-lead already holds the QA Lead role by default" in str(refused.value)
        # The QA Lead's backup counts too.
        with pytest.raises(ValidationError, match="qa-backup already holds the QA Lead role"):
            services.default_holder_set(
                role_key=UX, holder=team[UX], backup=team.backup, actor=team.admin
            )
        assert default(UX).holder == team[UX]

    def test_with_separation_off_one_person_may_be_the_default_of_two_roles(self, team):
        services.separation_set(enabled=False, actor=team.admin)
        services.default_holder_set(role_key=UX, holder=team[QA], actor=team.admin)
        assert default(UX).holder == team[QA]

    def test_saving_the_same_default_changes_nothing(self, team):
        change = services.default_holder_set(
            role_key=UX, holder=team[UX], backup=None, actor=team.admin
        )
        assert not change.changed
        assert not AuditEvent.objects.exists()
        assert not Notification.objects.exists()

    def test_new_releases_copy_the_new_default_and_old_ones_keep_theirs(self, team, build):
        before = build.create(version="1.0.0", release_type="major")
        dana = UserFactory(username="dana")
        services.default_holder_set(role_key=UX, holder=dana, actor=team.admin)
        after = build.create(version="2.0.0", release_type="major")
        assert holders(before, UX) == (team[UX], None)
        assert holders(after, UX) == (dana, None)


class TestApplyToActiveReleases:
    def test_it_reassigns_active_releases_that_still_use_the_old_default(self, team, build):
        planning = build.create(version="1.0.0", release_type="major")
        staging = build.staging(version="2.0.0", release_type="major")
        closed = build.closed(version="0.9.0", release_type="major")
        changed = build.create(version="3.0.0", release_type="major")
        services.role_assign(
            release_id=changed.pk, role_key=QA, holder=team.outsider, actor=team.admin
        )
        nova, vic = UserFactory(username="nova"), UserFactory(username="vic")
        change = services.default_holder_set(
            role_key=QA, holder=nova, backup=vic, actor=team.admin, apply_to_active=True
        )
        assert {r.pk for r in change.applied} == {planning.pk, staging.pk}
        assert holders(planning, QA) == holders(staging, QA) == (nova, vic)
        assert holders(closed, QA) == (team[QA], team.backup)  # finished: history stays
        assert holders(changed, QA) == (team.outsider, None)  # not the old default any more
        # The gate follows: the new people may sign, the old may not.
        assert can_sign(nova, gate(staging, QA)) and can_sign(vic, gate(staging, QA))
        assert not can_sign(team[QA], gate(staging, QA))
        # Each release has its own audit event; the default's names the count.
        assert staging.audit_events.filter(verb="role.assigned").count() == 1
        assert AuditEvent.objects.get(verb="default_holder.changed").comment.endswith(
            "Applied to 2 active release(s)."
        )

    def test_the_newly_assigned_are_emailed_their_duties_with_links(self, team, build):
        planning = build.create(version="1.0.0", release_type="major")
        staging = build.staging(version="2.0.0", release_type="major")
        nova, vic = UserFactory(username="nova"), UserFactory(username="vic")
        services.default_holder_set(
            role_key=QA, holder=nova, backup=vic, actor=team.admin, apply_to_active=True
        )
        planned = Notification.objects.get(
            kind="role_assigned", to_email="nova@example.com", release_id=planning.pk
        )
        assert planned.subject.endswith(f"You are now the QA Lead on {planning}")
        assert "Pre-release: Complete final test pass in staging" in planned.body_text
        assert f"/releases/{planning.pk}/#duties" in planned.body_text
        backup = Notification.objects.get(
            kind="role_assigned", to_email="vic@example.com", release_id=planning.pk
        )
        assert "the backup for the QA Lead role" in backup.subject
        # On staging the QA gate waits: the request to sign, with the gate's link.
        request = Notification.objects.get(
            kind="gate_opened", to_email="nova@example.com", release_id=staging.pk
        )
        assert f"/gates/{gate(staging, QA).pk}/" in request.body_text
        assert "Test completion confirmation" in request.body_text
        # The old holder and backup are told they no longer hold it, once per release.
        assert (
            Notification.objects.filter(
                kind="role_unassigned", to_email="qa-lead@example.com"
            ).count()
            == 2
        )

    def test_a_release_where_separation_refuses_keeps_its_holders(self, team, build):
        release = build.create(version="1.0.0", release_type="major")
        # The outsider holds UX on this release only; as the new default QA Lead they would
        # hold two roles there.
        services.role_assign(
            release_id=release.pk, role_key=UX, holder=team.outsider, actor=team.admin
        )
        other = build.create(version="2.0.0", release_type="major")
        change = services.default_holder_set(
            role_key=QA, holder=team.outsider, actor=team.admin, apply_to_active=True
        )
        assert [r.pk for r in change.applied] == [other.pk]
        [(skipped, reason)] = change.skipped
        assert skipped.pk == release.pk
        assert "outsider already holds the UX Designer role" in reason
        assert holders(release, QA) == (team[QA], team.backup)
        assert default(QA).holder == team.outsider

    def test_without_the_box_ticked_no_release_changes(self, team, build):
        release = build.create()
        services.default_holder_set(role_key=QA, holder=team.outsider, actor=team.admin)
        assert holders(release, QA) == (team[QA], team.backup)
        assert not release.audit_events.filter(verb="role.assigned").exists()


class TestSeparationSetting:
    def test_it_is_on_by_default_and_an_admin_switches_it_with_an_audit_event(self, team):
        assert TeamSettings.load().separate_duties
        services.separation_set(enabled=False, actor=team.admin)
        assert not TeamSettings.load().separate_duties
        event = AuditEvent.objects.get(verb="team.separation_changed")
        assert (event.release, event.from_state, event.to_state) == (None, "on", "off")
        services.separation_set(enabled=False, actor=team.admin)  # no change, no event
        assert AuditEvent.objects.filter(verb="team.separation_changed").count() == 1

    def test_only_an_admin_may_switch_it(self, team):
        with pytest.raises(PermissionDenied):
            services.separation_set(enabled=False, actor=team[PM])
        assert TeamSettings.load().separate_duties


class TestDutyExceptions:
    def test_an_admin_records_one_with_a_reason_on_the_release(self, team, build):
        release = build.create()
        services.duty_exception_record(
            release_id=release.pk, person=team[QA], reason="Two-person team", actor=team.admin
        )
        exception = DutyException.objects.get()
        assert (exception.release, exception.person, exception.reason) == (
            release,
            team[QA],
            "Two-person team",
        )
        assert exception.created_by == team.admin
        event = release.audit_events.get(verb="duty_exception.recorded")
        assert (event.subject, event.comment) == ("qa-lead", "Two-person team")

    @pytest.mark.parametrize("reason", ["", "   "])
    def test_a_reason_is_required(self, team, build, reason):
        release = build.create()
        with pytest.raises(ValidationError, match="A reason for the exception is required"):
            services.duty_exception_record(
                release_id=release.pk, person=team[QA], reason=reason, actor=team.admin
            )
        assert not DutyException.objects.exists()
        assert not release.audit_events.filter(verb="duty_exception.recorded").exists()

    def test_only_an_admin_may_record_one(self, team, build):
        release = build.create()
        for actor in (team[PM], team.outsider):
            with pytest.raises(PermissionDenied):
                services.duty_exception_record(
                    release_id=release.pk, person=team[QA], reason="Why not", actor=actor
                )
        assert not DutyException.objects.exists()

    def test_a_second_one_for_the_same_person_is_refused(self, team, build):
        release = build.create()
        services.duty_exception_record(
            release_id=release.pk, person=team[QA], reason="Small team", actor=team.admin
        )
        with pytest.raises(ValidationError, match="already has an exception"):
            services.duty_exception_record(
                release_id=release.pk, person=team[QA], reason="Again", actor=team.admin
            )
        assert DutyException.objects.count() == 1

    def test_a_finished_release_takes_none(self, team, build):
        release = build.closed()
        with pytest.raises(Refused):
            services.duty_exception_record(
                release_id=release.pk, person=team[QA], reason="Late", actor=team.admin
            )
        assert not DutyException.objects.exists()
