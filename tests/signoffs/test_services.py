"""Gate decisions: approve, reject with a reason, revoke, stale, and the final confirmation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from octoacme.errors import Refused
from releases.models import RoleKey, Stage
from signoffs import services as gate_services
from signoffs.models import GateState

from ..builders import gate, refresh

pytestmark = pytest.mark.django_db
QA, PM, UX = RoleKey.QA_LEAD, RoleKey.PROJECT_MANAGER, RoleKey.UX_DESIGNER


def test_gates_cannot_be_signed_in_planning(team, build):
    release = build.create()
    with pytest.raises(Refused, match="Cannot approve a gate: the release is planning"):
        gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team[QA])


def test_approving_records_who_when_and_the_comment(team, build):
    release = build.staging()
    gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team[QA], comment="All green")
    qa = gate(release, QA)
    assert (qa.state, qa.decided_by, qa.comment, qa.revision) == (
        GateState.APPROVED,
        team[QA],
        "All green",
        1,
    )
    assert qa.decided_at is not None
    event = release.audit_events.get(verb="gate.approved")
    assert (event.subject, event.from_state, event.to_state) == ("QA Lead", "pending", "approved")
    assert release.checklist.get(template__key="signoff-qa-lead").state == "done"


def test_approving_twice_is_refused(team, build):
    release = build.staging()
    build.approve(release, QA)
    with pytest.raises(Refused, match="already approved"):
        build.approve(release, QA)


def test_a_rejection_needs_a_reason(team, build):
    release = build.staging()
    with pytest.raises(ValidationError, match="A reason for rejecting is required"):
        gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason="   ")
    assert gate(release, UX).state == GateState.PENDING


def test_a_rejected_gate_can_be_approved_after_a_fix(team, build):
    release = build.staging()
    gate_services.gate_reject(gate_id=gate(release, UX).pk, actor=team[UX], reason="Contrast")
    assert gate(release, UX).state == GateState.REJECTED
    build.approve(release, UX)
    assert gate(release, UX).state == GateState.APPROVED


def test_a_stale_form_is_refused(team, build):
    release = build.staging()
    seen = gate(release, QA).revision
    gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team.backup)
    with pytest.raises(Refused, match="changed while you were reading it"):
        gate_services.gate_reject(
            gate_id=gate(release, QA).pk, actor=team[QA], reason="No", revision=seen
        )
    assert gate(release, QA).state == GateState.APPROVED


def test_revoking_returns_an_approval_to_pending(team, build):
    release = build.staging()
    build.approve(release, QA)
    gate_services.gate_revoke(gate_id=gate(release, QA).pk, actor=team[QA], comment="Retest")
    qa = gate(release, QA)
    assert (qa.state, qa.stale, qa.decided_by) == (GateState.PENDING, False, None)


def test_only_an_approval_can_be_revoked(team, build):
    release = build.staging()
    with pytest.raises(Refused, match="Only an approval can be revoked"):
        gate_services.gate_revoke(gate_id=gate(release, QA).pk, actor=team[QA])


def test_revoking_ends_at_production_deploy(team, build):
    release = build.deployed()
    with pytest.raises(Refused, match="Cannot revoke an approval: the release is deployed"):
        gate_services.gate_revoke(gate_id=gate(release, QA).pk, actor=team[QA])


class TestProjectManagerConfirmation:
    def test_it_opens_only_after_the_six(self, team, build):
        release = build.staging()
        build.proceed(release)
        build.approve(release, QA, RoleKey.DEVOPS_ENGINEER)
        with pytest.raises(Refused, match="still waiting for: Business Analyst, UX Designer"):
            build.approve(release, PM)
        build.approve(release, RoleKey.BUSINESS_ANALYST, UX, RoleKey.CUSTOMER_SUCCESS_MANAGER)
        assert gate(release, PM).opened_at is None
        build.approve(release, RoleKey.PRODUCT_MANAGER)
        assert gate(release, PM).opened_at is not None
        build.approve(release, PM)
        release = refresh(release)
        assert release.stage == Stage.APPROVED and release.approved_at

    def test_it_needs_qa_to_say_proceed(self, team, build):
        release = build.staging()
        build.six(release)
        with pytest.raises(Refused, match="has not said “proceed”"):
            build.approve(release, PM)
        build.proceed(release, decision="hold")
        with pytest.raises(Refused, match="has not said “proceed”"):
            build.approve(release, PM)
        assert refresh(release).stage == Stage.STAGING

    def test_it_cannot_be_rejected_before_it_opens(self, team, build):
        release = build.staging()
        # The refusal says what the gate waits for, as the sign-off page does.
        with pytest.raises(Refused, match="only after the other six; still waiting for: QA Lead"):
            gate_services.gate_reject(gate_id=gate(release, PM).pk, actor=team[PM], reason="x")

    def test_a_revoked_role_gate_sends_an_approved_release_back(self, team, build):
        release = build.approved()
        gate_services.gate_revoke(gate_id=gate(release, UX).pk, actor=team[UX])
        release = refresh(release)
        pm = gate(release, PM)
        assert release.stage == Stage.STAGING
        assert (pm.state, pm.stale, pm.opened_at) == (GateState.PENDING, True, None)
        assert release.audit_events.filter(verb="release.reopen").count() == 1

    def test_a_rejection_after_approval_sends_the_release_back(self, team, build):
        release = build.approved()
        gate_services.gate_reject(gate_id=gate(release, QA).pk, actor=team[QA], reason="Bug")
        assert refresh(release).stage == Stage.STAGING

    def test_the_project_manager_may_withdraw_the_confirmation(self, team, build):
        release = build.approved()
        gate_services.gate_revoke(gate_id=gate(release, PM).pk, actor=team[PM])
        assert refresh(release).stage == Stage.STAGING
        # Six remain approved, so the confirmation is open again at once.
        assert gate(release, PM).opened_at is not None
        build.approve(release, PM)
        assert refresh(release).stage == Stage.APPROVED
