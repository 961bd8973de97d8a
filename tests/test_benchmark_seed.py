"""The benchmark's data and baselines (scripts/bench_seed.py, scripts/bench_urls.py).

Its figures only mean something if a bigger history holds the same recent work, the seeded rows
are rows the app could have written, and each baseline does the plumbing it claims to.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.test import Client, override_settings

from notifications.models import Throttle
from releases import chain
from releases.models import AuditEvent, Incident, Release, RoleAssignment
from signoffs.models import SignOff

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import bench_seed

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def recent_deploys(plans: list[bench_seed.Plan], days: int) -> int:
    return sum(1 for p in plans if p.deployed and p.deployed >= NOW - timedelta(days=days))


def test_a_ten_times_longer_history_holds_the_same_last_90_days() -> None:
    small = bench_seed.history_plan(950, NOW, random.Random(1))
    large = bench_seed.history_plan(9950, NOW, random.Random(1))
    # About 20 a week, less the few cancelled before their deploy.
    assert 230 <= recent_deploys(small, 90) <= 260
    assert abs(recent_deploys(small, 90) - recent_deploys(large, 90)) <= 12
    assert (NOW - large[0].deployed).days > 9 * 365 > (NOW - small[0].deployed).days * 9


@pytest.mark.django_db
def test_the_seed_has_fifty_releases_in_flight_and_a_valid_audit_chain() -> None:
    data = bench_seed.seed(120)
    assert Release.objects.count() == 120
    active = Release.objects.filter(stage__in=["planning", "staging", "approved", "deployed"])
    assert active.count() == 50
    # The benchmark user holds a role on every release, history included.
    held = RoleAssignment.objects.filter(holder=data["qa"]).values("release").distinct()
    assert held.count() == 120
    assert SignOff.objects.filter(pk__in=data["signable"], state="pending").count() == 25
    assert AuditEvent.objects.filter(verb="gate.approved").exists()
    assert Incident.objects.filter(resolved_at__isnull=False).exists()
    assert chain.verify().intact


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench_urls")
def test_the_signed_in_baselines_sign_in_and_check_csrf(django_user_model: type) -> None:
    user = django_user_model.objects.create_user(username="bench", password="x")
    client = Client(enforce_csrf_checks=True)
    assert client.get("/bench/signed-in").status_code == 302  # to the sign-in page
    client.force_login(user)
    assert client.get("/bench/signed-in").content == f"ok {user.pk}".encode()
    assert client.post("/bench/insert").status_code == 403  # no CSRF token
    client.cookies["csrftoken"] = token = "a" * 32
    assert client.post("/bench/insert", {"csrfmiddlewaretoken": token}).status_code == 200
    assert Throttle.objects.filter(key__startswith=f"bench:{user.pk}:").count() == 1
