from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import F, QuerySet
from django.utils import timezone

from notifications.models import Notification
from releases import chain
from releases.models import (
    ActionItem,
    AuditEvent,
    DefaultHolder,
    Handoff,
    Incident,
    Release,
    RoleKey,
)
from releases.models.release import version_key
from signoffs.models import SignOff

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "users": sorted(get_user_model().objects.values_list("username", "is_superuser")),
        "defaults": sorted(DefaultHolder.objects.values_list("role__key", "holder__username")),
        "releases": sorted(Release.objects.values_list("name", "version", "stage")),
        "events": AuditEvent.objects.count(),
    }


def test_demo_covers_every_stage_and_is_idempotent(settings):
    call_command("demo", password="secret-pass", history=False)
    first = snapshot()
    call_command("demo", password="secret-pass", history=False)
    assert snapshot() == first
    stages = {stage for _, _, stage in first["releases"]}
    assert stages == {"planning", "staging", "approved", "deployed", "closed", "rolled_back"}
    assert {u for u, _ in first["users"]} >= {*RoleKey.values, "admin"}
    assert get_user_model().objects.get(username="qa-lead").check_password("secret-pass")
    staging = Release.objects.get(stage="staging")
    assert set(staging.signoffs.values_list("state", flat=True)) == {
        "approved",
        "rejected",
        "pending",
    }


def test_demo_runs_again_after_the_demo_data_was_edited(settings):
    from releases import services

    call_command("demo", password="secret-pass", history=False)
    pm = get_user_model().objects.get(username=RoleKey.PROJECT_MANAGER)
    fog = Release.objects.get(name="Fog")
    services.release_update(release_id=fog.pk, actor=pm, data={"name": "Fog (renamed)"})
    eddy = Release.objects.get(name="Eddy")
    services.release_update(release_id=eddy.pk, actor=pm, data={"version": "4.0.3"})
    services.release_cancel(
        release_id=Release.objects.get(name="Drizzle").pk, actor=pm, reason="Scrapped."
    )
    before = snapshot()
    call_command("demo", password="secret-pass", history=False)
    after = snapshot()
    # Drizzle was cancelled, so its name and version are free: the demo makes it again.
    assert Release.objects.filter(name="Drizzle", stage="approved").count() == 1
    assert [r for r in after["releases"] if r[0] != "Drizzle"] == [
        r for r in before["releases"] if r[0] != "Drizzle"
    ]
    call_command("demo", password="secret-pass", history=False)
    assert snapshot()["releases"] == after["releases"]


def history() -> QuerySet[Release]:
    """The history's releases: every version below the demo's current 4.0.0."""
    return Release.objects.filter(version_key__lt=version_key("4.0.0"))


def test_the_demo_has_six_months_of_history_told_through_the_services(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks() as callbacks:
        call_command("demo", password="secret-pass")
    counts = (Release.objects.count(), AuditEvent.objects.count(), Notification.objects.count())

    finished = history().filter(stage__in=("closed", "rolled_back"))
    assert finished.count() >= 50
    deploys = list(history().order_by("deployed_at").values_list("deployed_at", "version_key"))
    assert deploys[-1][0] - deploys[0][0] > timedelta(weeks=20)
    assert deploys[-1][0] < timezone.now() - timedelta(days=2)
    # Deployed in version order, so production only ever moved up; one release there now.
    assert [key for _, key in deploys] == sorted(key for _, key in deploys)
    assert Release.objects.in_production().count() == 1
    assert {"patch", "minor", "major"} == set(history().values_list("release_type", flat=True))

    incidents = Incident.objects.filter(release__in=history())
    assert history().filter(stage="rolled_back", rolled_back_to__isnull=False).exists()
    assert incidents.filter(failed_deploy=True).exists()
    fix = history().get(fixes_incident__isnull=False)
    assert fix.stage == "closed" and fix.fixes_incident.release.version < fix.version
    assert not incidents.exclude(state="resolved").exists()
    assert not ActionItem.objects.filter(incident__in=incidents, state="open").exists()

    handoffs = Handoff.objects.filter(release__in=history(), sent_at__isnull=False)
    assert handoffs.filter(sent_at__gt=F("due_at")).exists()
    assert handoffs.filter(sent_at__lte=F("due_at")).exists()
    rejected = AuditEvent.objects.filter(release__in=history(), verb="gate.rejected")
    later = SignOff.objects.filter(
        release__in=rejected.values("release"), state="approved", decided_at__gt=F("opened_at")
    )
    assert rejected.exists() and later.exists()
    assert AuditEvent.objects.filter(release__in=history(), verb="gate.stale").exists()
    # The morning sweeps ran through the history: reminders and escalations were counted.
    gates = SignOff.objects.filter(release__in=history())
    assert gates.filter(reminders_sent__gt=0).exists()
    assert gates.filter(escalations_sent__gt=0).exists()

    assert chain.verify().intact
    # Months-old notices count as delivered when written; only the current releases' wait.
    old = Notification.objects.filter(release_id__in=history().values("pk"))
    assert old.exists()
    assert not old.exclude(state="sent").exists()
    assert not old.exclude(sent_at=F("created_at")).exists()
    # ... and no worker is kicked for them after the commit: only for the pending ones.
    assert len(callbacks) <= Notification.objects.filter(state="pending").count()

    call_command("demo", password="secret-pass")
    assert (
        Release.objects.count(),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    ) == counts
