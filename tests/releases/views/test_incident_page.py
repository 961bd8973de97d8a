"""The incident section of a release page and the action items on My work: the timeline reads
time to restore, a form shows exactly when its verdict allows (else the reason, unless the step
is not yours at all)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from releases import services
from releases.models import ActionItem, Incident, RoleKey
from releases.selectors.incidents import duration

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM, CSM = (
    RoleKey.QA_LEAD,
    RoleKey.DEVOPS_ENGINEER,
    RoleKey.PROJECT_MANAGER,
    RoleKey.CUSTOMER_SUCCESS_MANAGER,
)


def page(client, user, release_id: int) -> str:
    client.force_login(user)
    return client.get(reverse("release-detail", args=[release_id])).content.decode()


@pytest.fixture
def failed(team, build, settings) -> Incident:
    settings.ONCALL_EMAILS = ["oncall@example.com"]
    release = build.deployed()
    return services.release_record_failed_deploy(
        release_id=release.pk, actor=team[DEVOPS], what_failed="Checkout 500s"
    )


def test_the_timeline_reads_time_to_restore(client, team, failed):
    opened = failed.opened_at
    services.incident_mitigate(incident_id=failed.pk, actor=team[PM], mitigation="Flag off")
    Incident.objects.filter(pk=failed.pk).update(mitigated_at=opened + timedelta(minutes=80))
    services.incident_resolve(incident_id=failed.pk, actor=team[DEVOPS], root_cause="Flag")
    html = page(client, team[QA], failed.release_id)
    assert "Production deploy recorded as failed; incident opened by devops-engineer." in html
    assert "Notified: on-call (oncall@example.com), " in html
    for who in ("devops-engineer", "project-manager", "customer-success-manager"):
        assert who in html.split("Notified:")[1].split("</li>")[0]
    assert "Mitigated by project-manager." in html
    assert "Service restored after 1 h 20 min." in html
    assert "Resolved by devops-engineer." in html


def test_forms_show_when_allowed_and_reasons_when_not_yet(client, team, failed):
    mitigate = reverse("incident-mitigate", args=[failed.pk])
    resolve = reverse("incident-resolve", args=[failed.pk])
    html = page(client, team[DEVOPS], failed.release_id)
    assert mitigate in html
    assert reverse("incident-fix-forward", args=[failed.pk]) in html
    assert resolve not in html
    assert "Restore service first" in html
    # The first release has nothing to roll back to: no button, the reason instead.
    assert reverse("incident-rollback", args=[failed.pk]) not in html
    assert "nothing known-good to roll back to" in html
    # The QA Lead may do none of these: no form and no reason.
    html = page(client, team[QA], failed.release_id)
    assert mitigate not in html and "Restore service first" not in html
    assert reverse("action-item-add", args=[failed.pk]) not in html
    # Once restored, DevOps may resolve.
    services.incident_mitigate(incident_id=failed.pk, actor=team[PM], mitigation="Flag off")
    html = page(client, team[DEVOPS], failed.release_id)
    assert resolve in html and mitigate not in html


def test_the_failed_deploy_form_is_for_devops_on_approved_or_deployed(client, team, build):
    approved = build.approved()
    url = reverse("release-failed-deploy", args=[approved.pk])
    assert url in page(client, team[DEVOPS], approved.pk)
    assert url not in page(client, team[QA], approved.pk)
    staging = build.staging()
    assert reverse("release-failed-deploy", args=[staging.pk]) not in page(
        client, team[DEVOPS], staging.pk
    )


def test_the_patch_and_its_deploy_are_on_the_timeline(client, team, build):
    release = build.deployed(version="1.0.0", release_type="major")
    incident = services.incident_open(release_id=release.pk, actor=team[QA], title="Down")
    patch = services.incident_fix_forward(
        incident_id=incident.pk, actor=team[DEVOPS], name="Hotfix", version="1.0.1"
    )
    html = page(client, team[PM], release.pk)
    assert "Fix forward: patch" in html and reverse("release-detail", args=[patch.pk]) in html
    assert "The fix-forward patch is not in production yet." in html


def test_my_work_lists_the_owners_action_items_overdue_marked(client, team, failed):
    services.incident_mitigate(incident_id=failed.pk, actor=team[PM], mitigation="Flag off")
    for text, days in (("Soon", 3), ("Late", 0)):
        services.action_item_add(
            incident_id=failed.pk,
            actor=team[PM],
            text=text,
            owner_id=team[CSM].pk,
            due_on=timezone.localdate() + timedelta(days=days),
        )
    ActionItem.objects.filter(text="Late").update(due_on=timezone.localdate() - timedelta(days=2))
    client.force_login(team[CSM])
    html = client.get(reverse("my-work")).content.decode()
    assert "Incident action items you own" in html
    late = ActionItem.objects.get(text="Late")
    assert f"#action-item-{late.pk}" in html
    assert html.index("Late") < html.index("Soon")  # soonest due first
    assert html.count("overdue: due") == 1
    client.force_login(team[QA])
    assert "Incident action items you own" not in client.get(reverse("my-work")).content.decode()


@pytest.mark.parametrize(
    "minutes, text",
    [(0.5, "less than a minute"), (5, "5 min"), (80, "1 h 20 min"), (60 * 26, "1 d 2 h")],
)
def test_durations_read_as_people_say_them(minutes, text):
    assert duration(timedelta(minutes=minutes)) == text
