"""A release's webhook events: each raised once per change, in the change's transaction, with
its release; and the admin page that registers endpoints and redelivers (#15)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from notifications import webhooks
from notifications.models import WebhookDelivery, WebhookEndpoint
from releases import services
from releases.chase.handoffs import chase_handoffs
from releases.models import AuditEvent, RoleKey
from signoffs import services as gate_services

from ..builders import gate

pytestmark = pytest.mark.django_db
QA, DEVOPS, PM = RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.PROJECT_MANAGER


@pytest.fixture
def endpoint(settings: Any) -> WebhookEndpoint:
    settings.WEBHOOK_ALLOW_PRIVATE = True
    return webhooks.register(name="chat", url="http://127.0.0.1:9/", events=[], format="generic")[0]


def events() -> Counter[str]:
    return Counter(WebhookDelivery.objects.values_list("event", flat=True))


def test_staging_opens_six_gates_and_changes_the_stage_once(endpoint, build, settings):
    release = build.staging()
    assert events() == {"gate.opened": 6, "release.stage_changed": 1}
    d = WebhookDelivery.objects.get(event="release.stage_changed")
    data = d.payload["data"]
    assert d.payload["type"] == "release.stage_changed" and d.payload["timestamp"]
    assert (data["from"], data["to"]) == ("planning", "staging")
    assert data["release"] == {
        "id": release.pk,
        "name": release.name,
        "version": release.version,
        "stage": "staging",
        "url": f"{settings.SITE_URL}/releases/{release.pk}/",
    }


def test_each_gate_decision_is_one_event(endpoint, build, team):
    release = build.staging()
    WebhookDelivery.objects.all().delete()
    qa = gate(release, QA)
    gate_services.gate_approve(gate_id=qa.pk, actor=team[QA])
    gate_services.gate_revoke(gate_id=qa.pk, actor=team[QA])
    gate_services.gate_reject(gate_id=qa.pk, actor=team[QA], reason="Flaky export.")
    assert events() == {"gate.approved": 1, "gate.revoked": 1, "gate.rejected": 1}
    rejected = WebhookDelivery.objects.get(event="gate.rejected").payload["data"]
    assert rejected["gate"]["role"] == QA and rejected["comment"] == "Flaky export."
    assert "Flaky export." in rejected["summary"]


def test_a_refused_decision_raises_no_event(endpoint, build, team):
    release = build.staging()
    WebhookDelivery.objects.all().delete()
    with pytest.raises(PermissionDenied):
        gate_services.gate_approve(gate_id=gate(release, QA).pk, actor=team.outsider)
    assert events() == {}


def test_the_whole_way_to_deployed(endpoint, build):
    release = build.deployed()
    counted = events()
    # planning -> staging -> approved -> deployed; seven gates opened and approved.
    assert counted["release.stage_changed"] == 3
    assert counted["gate.opened"] == 7 and counted["gate.approved"] == 7
    assert counted["handoff.sent"] == 1
    stages = [
        (d.payload["data"]["from"], d.payload["data"]["to"])
        for d in WebhookDelivery.objects.filter(event="release.stage_changed").order_by("id")
    ]
    assert stages == [("planning", "staging"), ("staging", "approved"), ("approved", "deployed")]
    assert all(
        d.payload["data"]["release"]["id"] == release.pk for d in WebhookDelivery.objects.all()
    )


def test_an_incident_opened_and_resolved(endpoint, build, team):
    release = build.deployed()
    WebhookDelivery.objects.all().delete()
    incident = services.incident_open(
        release_id=release.pk,
        actor=team[DEVOPS],
        title="Checkout 500s",
        description="Spike after deploy.",
        severity="critical",
    )
    services.incident_mitigate(incident_id=incident.pk, actor=team[DEVOPS], mitigation="Flag off.")
    services.incident_resolve(incident_id=incident.pk, actor=team[DEVOPS], root_cause="Bad cache.")
    counted = events()
    assert counted["incident.opened"] == 1 and counted["incident.resolved"] == 1
    opened = WebhookDelivery.objects.get(event="incident.opened").payload["data"]
    assert opened["incident"]["title"] == "Checkout 500s"


def test_an_overdue_hand_off_is_announced_once(endpoint, build):
    release = build.deployed()
    WebhookDelivery.objects.all().delete()
    later = timezone.now() + timedelta(days=5)
    chase_handoffs(later)
    chase_handoffs(later)
    overdue = WebhookDelivery.objects.filter(event="handoff.overdue")
    assert (
        overdue.count()
        == release.handoffs.filter(overdue_at__lte=later).exclude(state="acknowledged").count()
        > 0
    )


def test_an_endpoint_subscribed_to_incidents_hears_nothing_of_gates(settings, build):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    webhooks.register(
        name="inc", url="http://127.0.0.1:9/", events=["incident.opened"], format="slack"
    )
    build.staging()
    assert events() == {}


# --- the admin page ---------------------------------------------------------------------


def test_only_an_admin_sees_or_changes_webhooks(client, team, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(team[PM])
    assert client.get(reverse("webhooks")).status_code == 403
    response = client.post(
        reverse("webhook-create"),
        {"name": "x", "url": "http://127.0.0.1:9/", "format": "generic"},
    )
    assert response.status_code == 403 and not WebhookEndpoint.objects.exists()


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(client, team, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    client.force_login(team.admin)
    assert b"Webhooks" in client.get(reverse("team")).content
    response = client.post(
        reverse("webhook-create"),
        {
            "name": "Ops room",
            "url": "http://127.0.0.1:9/hook",
            "format": "teams",
            "events": ["gate.rejected", "incident.opened"],
        },
    )
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret.startswith("whsec_")
    assert endpoint.secret.encode() in response.content
    assert "no-store" in response["Cache-Control"]
    assert endpoint.events == ["gate.rejected", "incident.opened"]
    assert endpoint.secret.encode() not in client.get(reverse("webhooks")).content
    assert AuditEvent.objects.filter(verb="webhook.registered", actor=team.admin).count() == 1


def test_a_private_target_is_refused_on_the_page(client, team, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client.force_login(team.admin)
    response = client.post(
        reverse("webhook-create"),
        {"name": "x", "url": "http://169.254.169.254/latest/", "format": "generic"},
        follow=True,
    )
    assert "public addresses only" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEvent.objects.filter(verb="webhook.registered").exists()


def test_disable_enable_and_redeliver(client, team, endpoint):
    client.force_login(team.admin)
    webhooks.publish("gate.opened", {})
    delivery = WebhookDelivery.objects.get()
    # Still pending: nothing to redo.
    client.post(reverse("webhook-redeliver", args=[delivery.pk]))
    assert not AuditEvent.objects.filter(verb="webhook.redelivered").exists()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", tries=8)
    client.post(reverse("webhook-toggle", args=[endpoint.pk]), {"active": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.active
    client.post(reverse("webhook-redeliver", args=[delivery.pk]))  # refused while disabled
    assert WebhookDelivery.objects.get().state == "failed"
    client.post(reverse("webhook-toggle", args=[endpoint.pk]), {"active": "1"})
    client.post(reverse("webhook-redeliver", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.tries) == ("pending", 0)
    verbs = list(
        AuditEvent.objects.filter(verb__startswith="webhook.").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["webhook.disabled", "webhook.enabled", "webhook.redelivered"]
    page = client.get(reverse("webhooks")).content.decode()
    assert delivery.msg_id in page and "gate.opened" in page


def test_late_sign_offs_are_escalated_to_chat_once_per_interval(endpoint, build, settings):
    from releases import reminders

    settings.SIGNOFF_REMINDER_ESCALATE_AFTER = 0  # late at once
    release = build.staging()
    WebhookDelivery.objects.all().delete()
    reminders.send_reminders()
    reminders.send_reminders()
    [d] = WebhookDelivery.objects.filter(event="escalation")
    assert d.payload["data"]["release"]["id"] == release.pk
    assert len(d.payload["data"]["gates"]) == 6
