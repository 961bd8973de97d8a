"""A hand-off reaches its receiver; an incident's responders hear that it started and ended
(part of issue #13: hand-offs that arrive, the playbook's notices)."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from releases import services
from releases.models import RoleKey

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM, CSM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def to(kind: str) -> set[str]:
    return {
        n.recipient.username if n.recipient else n.to_email
        for n in Notification.objects.filter(kind=kind).select_related("recipient")
    }


def test_sending_a_hand_off_tells_the_receiver_what_was_handed_off(team, build):
    release = build.staging()
    handoff = release.handoffs.get(template__key="qa-to-devops")
    services.handoff_send(
        handoff_id=handoff.pk,
        actor=team[QA],
        notes="All 412 tests pass; known issue: slow export.",
        links="https://ci.example/run/7",
    )
    assert to("handoff_sent") == {DEVOPS}
    [notice] = Notification.objects.filter(kind="handoff_sent")
    assert "Test results and known issues" in notice.subject
    assert "Proceed with deployment or hold decision" in notice.body_text
    assert "All 412 tests pass; known issue: slow export." in notice.body_text
    assert "https://ci.example/run/7" in notice.body_text
    assert f"/releases/{release.pk}/#handoffs" in notice.body_text


def test_a_post_release_hand_off_reaches_holder_and_backup(team, build):
    release = build.deployed()
    services.role_assign(
        release_id=release.pk,
        role_key=CSM,
        holder=team[CSM],
        backup=team.outsider,
        actor=team.admin,
    )
    handoff = release.handoffs.get(template__key="project-manager-to-csm")
    Notification.objects.filter(kind="handoff_sent").delete()  # QA's, sent before the deploy
    services.handoff_send(handoff_id=handoff.pk, actor=team[PM], notes="Notes attached.")
    assert to("handoff_sent") == {CSM, "outsider"}


def test_an_incident_reaches_customer_success_and_its_end_reaches_everyone_told(
    team, build, settings
):
    settings.ONCALL_EMAILS = ["oncall@example.com"]
    release = build.deployed()
    incident = services.incident_open(release_id=release.pk, actor=team[QA], title="500s")
    assert to("incident_opened") == {DEVOPS, PM, CSM, "oncall@example.com"}
    services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Purged.")
    services.incident_resolve(
        incident_id=incident.pk, actor=team[DEVOPS], root_cause="A bad cache key."
    )
    assert to("incident_resolved") == to("incident_opened")
    [notice] = Notification.objects.filter(kind="incident_resolved", recipient=team[CSM])
    assert "A bad cache key." in notice.body_text
