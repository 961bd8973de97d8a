"""Gates an expedited policy lets sign after the deploy: signed, rejected, reminded, escalated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from notifications.models import Notification
from octoacme.errors import Refused
from releases import reminders, services
from releases.models import AuditEvent, RoleKey, Stage
from releases.services import policies
from signoffs import services as gate_services
from signoffs.models import GateState, SignOff

from ..builders import Builder, Team, gate, refresh

pytestmark = pytest.mark.django_db

QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER
BA, UX, PROD = RoleKey.BUSINESS_ANALYST, RoleKey.UX_DESIGNER, RoleKey.PRODUCT_MANAGER
CSM = RoleKey.CUSTOMER_SUCCESS_MANAGER


def email(username: str) -> str:
    return f"{username}@example.com"


def to(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("to_email", flat=True))


@pytest.fixture
def patch(team: Team, build: Builder) -> Any:
    """A patch deployed under "Expedited patch": QA, DevOps and the PM signed before the
    deploy; the Business Analyst, UX Designer, CSM and Product Manager sign within 48 h."""
    policies.policy_set(
        actor=team.admin,
        release_type="patch",
        expedited=True,
        name="Expedited patch",
        before_deploy=[QA, DEVOPS, PM],
        retroactive_hours=48,
    )
    release = build.staging(release_type="patch")
    build.proceed(release)
    build.approve(release, QA, DEVOPS, PM)
    for item in release.checklist.filter(template__optional=True).select_related("template__owner"):
        services.checklist_mark_not_applicable(
            item_id=item.pk, actor=team[item.template.owner.key], reason="Not needed."
        )
    build.final_decision(release)
    services.release_record_deploy(release_id=release.pk, actor=team[DEVOPS])
    return refresh(release)


class TestSigningAfterTheDeploy:
    def test_the_deploy_asks_each_retroactive_holder_with_the_due_time(self, team, patch):
        asked = Notification.objects.filter(subject__contains="Sign after the deploy by")
        assert {n.to_email for n in asked} == {email(BA), email(UX), email(CSM), email(PROD)}
        assert "cannot be closed without it" in asked.get(to_email=email(BA)).body_text

    def test_its_holder_approves_it_on_the_deployed_release(self, team, patch):
        gate_services.gate_approve(gate_id=gate(patch, BA).pk, actor=team[BA], comment="Fine.")
        signed = gate(patch, BA)
        assert signed.state == GateState.APPROVED and signed.decided_by == team[BA]
        assert refresh(patch).stage == Stage.DEPLOYED
        item = patch.checklist.get(template__kind="gate", template__owner__key=BA)
        assert item.state == "done"

    def test_a_gate_signed_before_the_deploy_cannot_be_signed_after_it(self, team, patch):
        with pytest.raises(Refused, match=r"record the production deploy|deployed"):
            gate_services.gate_revoke(gate_id=gate(patch, QA).pk, actor=team[QA])
        with pytest.raises(Refused):
            gate_services.gate_reject(gate_id=gate(patch, QA).pk, actor=team[QA], reason="x")

    def test_an_approval_after_the_deploy_stands(self, team, patch):
        build_gate = gate(patch, UX)
        gate_services.gate_approve(gate_id=build_gate.pk, actor=team[UX])
        with pytest.raises(Refused, match="approval stands"):
            gate_services.gate_reject(gate_id=build_gate.pk, actor=team[UX], reason="Oops.")
        with pytest.raises(Refused):
            gate_services.gate_revoke(gate_id=build_gate.pk, actor=team[UX])
        assert gate(patch, UX).state == GateState.APPROVED

    def test_someone_else_may_not_sign_it(self, team, patch):
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            gate_services.gate_approve(gate_id=gate(patch, BA).pk, actor=team[UX])
        assert gate(patch, BA).state == GateState.PENDING


class TestRejectionAfterTheDeploy:
    def test_it_tells_the_managers_and_devops_suggests_an_incident_and_blocks_closing(
        self, team, build, patch
    ):
        Notification.objects.all().delete()
        gate_services.gate_reject(
            gate_id=gate(patch, BA).pk, actor=team[BA], reason="Export drops rows."
        )
        assert refresh(patch).stage == Stage.DEPLOYED
        assert to("gate_rejected") == {email(PM), email(PROD), email(DEVOPS)}
        notice = Notification.objects.filter(kind="gate_rejected").first()
        assert "already in production" in notice.body_text
        assert "open an incident" in notice.body_text
        assert "Export drops rows." in notice.body_text
        build.post_release_done(patch)
        others = [UX, CSM, PROD]
        build.approve(patch, *others)
        with pytest.raises(Refused, match="The Business Analyst gate rejected the deployed"):
            services.release_close(release_id=patch.pk, actor=team[PM])
        # Fixed forward: the Business Analyst approves, and the release may close.
        build.approve(patch, BA)
        services.release_close(release_id=patch.pk, actor=team[PM])
        assert refresh(patch).stage == Stage.CLOSED
        assert AuditEvent.objects.filter(
            release=patch, verb="gate.rejected", subject="Business Analyst"
        ).exists()


class TestRemindersAndEscalation:
    def test_retroactive_gates_are_not_reminded_before_the_deploy(self, team, build):
        policies.policy_set(
            actor=team.admin,
            release_type="patch",
            expedited=True,
            name="Expedited patch",
            before_deploy=[QA, DEVOPS, PM],
            retroactive_hours=48,
        )
        start = refresh(build.staging(release_type="patch")).created_at
        with time_machine.travel(start + timedelta(hours=25)):
            reminders.send_reminders()
        assert to("reminder_digest") == {email(QA), email("qa-backup"), email(DEVOPS)}

    def test_a_retroactive_gate_open_after_the_deploy_is_reminded_once(self, team, patch):
        start = SignOff.objects.get(release=patch, role__key=BA).opened_at
        with time_machine.travel(start + timedelta(hours=25)):
            first = reminders.send_reminders()
            again = reminders.send_reminders()
        assert first["digests"] == 4 and again["digests"] == 0
        assert to("reminder_digest") == {email(BA), email(UX), email(CSM), email(PROD)}
        digest = Notification.objects.get(kind="reminder_digest", to_email=email(BA))
        assert "sign after the deploy, due" in digest.body_text
        assert reverse("gate-detail", args=[gate(patch, BA).pk]) in digest.body_text

    def test_a_signed_retroactive_gate_is_not_reminded(self, team, patch):
        gate_services.gate_approve(gate_id=gate(patch, BA).pk, actor=team[BA])
        with time_machine.travel(gate(patch, UX).opened_at + timedelta(hours=25)):
            reminders.send_reminders()
        assert email(BA) not in to("reminder_digest")

    def test_a_retroactive_gate_past_due_escalates_to_the_pm_once(self, team, patch):
        due = gate(patch, BA).due_at
        with time_machine.travel(due - timedelta(minutes=1)):
            assert reminders.escalate(due - timedelta(minutes=1)) == 0
        with time_machine.travel(due + timedelta(minutes=1)):
            assert reminders.send_reminders()["escalations"] == 1
            assert reminders.send_reminders()["escalations"] == 0
        assert to("escalation") == {email(PM)}
        body = Notification.objects.get(kind="escalation").body_text
        assert "Business Analyst" in body and "signed after the deploy, due" in body
        assert "QA Lead" not in body


class TestPages:
    def test_the_gate_page_says_it_is_retroactive_and_by_when(self, client, team, patch):
        client.force_login(team[BA])
        page = client.get(reverse("gate-detail", args=[gate(patch, BA).pk])).content.decode()
        assert "Retroactive: under this release's expedited policy" in page
        assert gate(patch, BA).due_at.strftime("%Y-%m-%d") in page
        assert "Approve" in page

    def test_the_release_page_marks_retroactive_gates(self, client, team, patch):
        client.force_login(team.outsider)
        page = client.get(reverse("release-detail", args=[patch.pk])).content.decode()
        assert page.count("signs after the deploy, due") == 4

    def test_the_dashboard_card_counts_them(self, client, team, patch):
        client.force_login(team.outsider)
        page = client.get(reverse("dashboard")).content.decode()
        assert "Expedited: 4 gates to sign after the deploy" in page
        gate_services.gate_approve(gate_id=gate(patch, BA).pk, actor=team[BA])
        page = client.get(reverse("dashboard")).content.decode()
        assert "Expedited: 3 gates to sign after the deploy" in page
