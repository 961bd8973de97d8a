from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from releases.models import AuditEvent, DefaultHolder, Release, RoleKey

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    return {
        "users": sorted(get_user_model().objects.values_list("username", "is_superuser")),
        "defaults": sorted(DefaultHolder.objects.values_list("role__key", "holder__username")),
        "releases": sorted(Release.objects.values_list("name", "version", "stage")),
        "events": AuditEvent.objects.count(),
    }


def test_demo_covers_every_stage_and_is_idempotent(settings):
    call_command("demo", password="secret-pass")
    first = snapshot()
    call_command("demo", password="secret-pass")
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

    call_command("demo", password="secret-pass")
    pm = get_user_model().objects.get(username=RoleKey.PROJECT_MANAGER)
    fog = Release.objects.get(name="Fog")
    services.release_update(release_id=fog.pk, actor=pm, data={"name": "Fog (renamed)"})
    eddy = Release.objects.get(name="Eddy")
    services.release_update(release_id=eddy.pk, actor=pm, data={"version": "1.0.3"})
    services.release_cancel(
        release_id=Release.objects.get(name="Drizzle").pk, actor=pm, reason="Scrapped."
    )
    before = snapshot()
    call_command("demo", password="secret-pass")
    after = snapshot()
    # Drizzle was cancelled, so its name and version are free: the demo makes it again.
    assert Release.objects.filter(name="Drizzle", stage="approved").count() == 1
    assert [r for r in after["releases"] if r[0] != "Drizzle"] == [
        r for r in before["releases"] if r[0] != "Drizzle"
    ]
    call_command("demo", password="secret-pass")
    assert snapshot()["releases"] == after["releases"]
