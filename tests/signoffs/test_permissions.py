"""Only the holder or backup of a role on a release may sign its gate: admins included."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from releases import services
from releases.models import RoleKey
from signoffs import services as gate_services
from signoffs.models import GateState, SignOffUserObjectPermission
from signoffs.permissions import can_sign, signable_gates

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db
QA = RoleKey.QA_LEAD


def test_the_holder_may_sign(team, build):
    release = build.staging()
    gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team[QA])
    assert gate(release, QA).state == GateState.APPROVED


def test_the_backup_may_sign(team, build):
    release = build.staging()
    gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team.backup)
    assert gate(release, QA).decided_by == team.backup


@pytest.mark.parametrize("who", ["other_role", "outsider", "admin"])
def test_anyone_else_is_refused_and_nothing_changes(team, build, who):
    release = build.staging()
    actor = {
        "other_role": team[RoleKey.DEVOPS_ENGINEER],
        "outsider": team.outsider,
        "admin": team.admin,
    }[who]
    qa = gate(release, QA)
    events = release.audit_events.count()
    for action in (gate_services.gate_approve, gate_services.gate_revoke):
        with pytest.raises(PermissionDenied, match="You do not hold the QA Lead gate"):
            action(gate_id=qa.pk, actor=actor)
    with pytest.raises(PermissionDenied):
        gate_services.gate_reject(gate_id=qa.pk, actor=actor, reason="No")
    qa = refresh(qa)
    assert (qa.state, qa.revision) == (GateState.PENDING, 0)
    assert release.audit_events.count() == events


def test_a_superuser_passes_has_perm_but_not_can_sign(team, build):
    # The trap this guards against: guardian's backend grants superusers everything.
    release = build.staging()
    qa = gate(release, QA)
    assert team.admin.has_perm("signoffs.sign_signoff", qa)
    assert not can_sign(team.admin, qa)


def test_a_deactivated_holder_may_not_sign(team, build):
    release = build.staging()
    team[QA].is_active = False
    team[QA].save()
    with pytest.raises(PermissionDenied):
        gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team[QA])


def test_permissions_live_in_the_direct_table(team, build):
    release = build.create()
    rows = SignOffUserObjectPermission.objects.filter(content_object__release=release)
    # Seven holders plus the QA backup.
    assert rows.count() == 8
    assert set(signable_gates(team.backup)) == {gate(release, QA)}


def test_reassignment_moves_the_right_from_old_to_new_holder(team, build):
    release = build.staging()
    qa = gate(release, QA)
    services.role_assign(
        release_id=release.pk,
        role_key=QA,
        holder=team.outsider,
        backup=team.backup,
        actor=team.admin,
    )
    with pytest.raises(PermissionDenied):
        gate_services.gate_approve(gate_id=qa.pk, actor=team[QA])
    gate_services.gate_approve(gate_id=qa.pk, actor=team.outsider)
    assert gate(release, QA).decided_by == team.outsider


def test_a_user_holding_two_roles_keeps_the_other(team, build):
    release = build.staging()
    pm = team[RoleKey.PROJECT_MANAGER]
    # Two roles for one person: separation of duties needs an admin's exception for that.
    services.duty_exception_record(
        release_id=release.pk, person=pm, reason="Covering", actor=team.admin
    )
    services.role_assign(release_id=release.pk, role_key=QA, holder=pm, actor=team.admin)
    services.role_assign(release_id=release.pk, role_key=QA, holder=team[QA], actor=team.admin)
    assert can_sign(pm, gate(release, RoleKey.PROJECT_MANAGER))
    assert not can_sign(pm, gate(release, QA))
