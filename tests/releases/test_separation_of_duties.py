"""Separation of duties: one person, one role per release (holder or backup), unless an admin
records an exception; who may reassign roles (admins anywhere, a release's Project Manager on
theirs)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from releases import separation, services
from releases.models import AuditEvent, DefaultHolder, RoleAssignment, RoleKey
from signoffs.permissions import can_sign

from ..builders import gate
from ..factories import UserFactory

pytestmark = pytest.mark.django_db
QA, DEVOPS, BA, UX, CSM, PROD, PM = RoleKey.values


def holders(release, key: str) -> tuple[object, object]:
    a = RoleAssignment.objects.get(release=release, role__key=key)
    return a.holder, a.backup


class TestRoleAssign:
    def test_a_holder_of_one_role_cannot_take_another(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError) as refused:
            services.role_assign(
                release_id=release.pk, role_key=DEVOPS, holder=team[QA], actor=team.admin
            )
        # The refusal names the person and the role they already hold.
        assert "qa-lead already holds the QA Lead role on this release" in str(refused.value)
        assert holders(release, DEVOPS) == (team[DEVOPS], None)
        assert not can_sign(team[QA], gate(release, DEVOPS))
        assert not release.audit_events.filter(verb="role.assigned").exists()

    def test_a_backup_counts_as_holding_the_role_both_ways(self, team, build):
        release = build.create()
        # The QA Lead's backup may not back up the DevOps Engineer...
        with pytest.raises(ValidationError, match="qa-backup already holds the QA Lead role"):
            services.role_assign(
                release_id=release.pk,
                role_key=DEVOPS,
                holder=team[DEVOPS],
                backup=team.backup,
                actor=team.admin,
            )
        # ...and a holder elsewhere may not become the QA Lead's backup.
        with pytest.raises(ValidationError, match="ux-designer already holds the UX Designer"):
            services.role_assign(
                release_id=release.pk,
                role_key=QA,
                holder=team[QA],
                backup=team[UX],
                actor=team.admin,
            )
        assert holders(release, QA) == (team[QA], team.backup)

    def test_an_exception_on_the_release_lets_that_person_hold_two_roles(self, team, build):
        release = build.create()
        other = build.create(version="9.0.0", release_type="major")
        services.duty_exception_record(
            release_id=release.pk, person=team[QA], reason="Two-person team", actor=team.admin
        )
        services.role_assign(
            release_id=release.pk, role_key=DEVOPS, holder=team[QA], actor=team.admin
        )
        assert holders(release, DEVOPS) == (team[QA], None)
        assert can_sign(team[QA], gate(release, DEVOPS))
        # Only on that release.
        with pytest.raises(ValidationError, match="already holds the QA Lead role"):
            services.role_assign(
                release_id=other.pk, role_key=DEVOPS, holder=team[QA], actor=team.admin
            )

    def test_with_the_setting_off_one_person_may_hold_two_roles(self, team, build):
        release = build.create()
        services.separation_set(enabled=False, actor=team.admin)
        services.role_assign(
            release_id=release.pk, role_key=DEVOPS, holder=team[QA], actor=team.admin
        )
        assert holders(release, DEVOPS) == (team[QA], None)

    def test_moving_someone_within_one_role_is_not_a_second_role(self, team, build):
        release = build.create()
        # The backup becomes the holder and the holder the backup: still one role each.
        services.role_assign(
            release_id=release.pk,
            role_key=QA,
            holder=team.backup,
            backup=team[QA],
            actor=team.admin,
        )
        assert holders(release, QA) == (team.backup, team[QA])

    def test_a_conflict_from_before_the_rule_does_not_block_other_changes(self, team, build):
        release = build.create()
        services.separation_set(enabled=False, actor=team.admin)
        services.role_assign(
            release_id=release.pk, role_key=DEVOPS, holder=team[QA], actor=team.admin
        )
        services.separation_set(enabled=True, actor=team.admin)
        # The DevOps Engineer role gets a backup; its holder (also QA Lead) stays.
        newcomer = UserFactory(username="newcomer")
        services.role_assign(
            release_id=release.pk,
            role_key=DEVOPS,
            holder=team[QA],
            backup=newcomer,
            actor=team.admin,
        )
        assert holders(release, DEVOPS) == (team[QA], newcomer)


class TestWhoMayAssign:
    def test_the_project_manager_reassigns_roles_on_their_release(self, team, build):
        release = build.create()
        newcomer = UserFactory(username="newcomer")
        services.role_assign(release_id=release.pk, role_key=UX, holder=newcomer, actor=team[PM])
        assert holders(release, UX) == (newcomer, None)
        event = release.audit_events.get(verb="role.assigned")
        assert event.actor == team[PM]

    def test_the_project_managers_backup_may_too(self, team, build):
        pm_backup = UserFactory(username="pm-backup")
        release = build.create()
        services.role_assign(
            release_id=release.pk, role_key=PM, holder=team[PM], backup=pm_backup, actor=team.admin
        )
        services.role_assign(
            release_id=release.pk, role_key=UX, holder=team.outsider, actor=pm_backup
        )
        assert holders(release, UX) == (team.outsider, None)

    def test_a_project_manager_elsewhere_may_not(self, team, build):
        release = build.create()
        services.role_assign(
            release_id=release.pk, role_key=PM, holder=team.outsider, actor=team.admin
        )
        with pytest.raises(PermissionDenied, match="Project Manager"):
            services.role_assign(release_id=release.pk, role_key=UX, holder=None, actor=team[PM])
        assert holders(release, UX) == (team[UX], None)

    @pytest.mark.parametrize("who", [QA, PROD, "outsider"])
    def test_other_roles_and_outsiders_may_not(self, team, build, who):
        release = build.create()
        actor = team.outsider if who == "outsider" else team[who]
        with pytest.raises(PermissionDenied):
            services.role_assign(
                release_id=release.pk, role_key=UX, holder=team.outsider, actor=actor
            )
        assert holders(release, UX) == (team[UX], None)

    def test_the_project_manager_cannot_give_themselves_a_second_role(self, team, build):
        release = build.create()
        with pytest.raises(ValidationError, match="already holds the Project Manager role"):
            services.role_assign(
                release_id=release.pk, role_key=QA, holder=team[PM], actor=team[PM]
            )


class TestReleaseCreation:
    def test_defaults_giving_one_person_two_roles_leave_the_second_unassigned(self, team, build):
        services.separation_set(enabled=False, actor=team.admin)
        services.default_holder_set(role_key=UX, holder=team[QA], actor=team.admin)
        services.separation_set(enabled=True, actor=team.admin)
        release = build.create()
        assert holders(release, QA) == (team[QA], team.backup)  # first in the guide's order
        assert holders(release, UX) == (None, None)
        assert not can_sign(team[QA], gate(release, UX))
        event = release.audit_events.get(verb="role.left_unassigned")
        assert "UX Designer holder: qa-lead already holds the QA Lead role" in event.comment

    def test_with_the_setting_off_the_defaults_are_copied_as_they_are(self, team, build):
        services.separation_set(enabled=False, actor=team.admin)
        DefaultHolder.objects.filter(role__key=UX).update(holder=team[QA])
        release = build.create()
        assert holders(release, UX) == (team[QA], None)
        assert not AuditEvent.objects.filter(verb="role.left_unassigned").exists()


class TestHelperForDelegation:
    def test_conflict_names_the_other_role_or_says_nothing(self, team, build):
        release = build.create()
        assert "already holds the QA Lead role" in separation.conflict(
            team[QA], release, role_key=UX
        )
        assert separation.conflict(team[QA], release, role_key=QA) is None
        assert separation.conflict(team.outsider, release, role_key=UX) is None
        assert [
            r.key for r in separation.other_roles_held(team.backup, release, except_role=UX)
        ] == [QA]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("seeded")
def test_two_managers_giving_one_person_two_roles_at_once_never_both_win(team, build):
    release = build.create()
    newcomer = UserFactory(username="newcomer")
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def assign(i: int, key: str, actor: object) -> None:
        barrier.wait()
        try:
            results[i] = services.role_assign(
                release_id=release.pk, role_key=key, holder=newcomer, actor=actor
            )
        except Exception as exc:  # The loser's refusal is the result under test.
            results[i] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=assign, args=(0, UX, team[PM])),
        threading.Thread(target=assign, args=(1, BA, team.admin)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], ValidationError)
    assert "newcomer already holds the" in str(refused[0])
    held = RoleAssignment.objects.filter(release=release, holder=newcomer).count()
    assert held == 1


def test_the_create_page_says_which_role_was_left_unassigned(client, team):
    services.separation_set(enabled=False, actor=team.admin)
    services.default_holder_set(role_key=UX, holder=team[QA], actor=team.admin)
    services.separation_set(enabled=True, actor=team.admin)
    client.force_login(team[PM])
    response = client.post(
        "/releases/new/", {"name": "Split", "version": "3.0.0", "release_type": "major"}
    )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert any(
        m.startswith("Left unassigned: UX Designer holder: qa-lead already holds the QA Lead")
        for m in said
    ), said
