"""The site's own admin: django-axes' sign-in attempts, whose clean-up action deletes rows and
so needs the delete permission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from .factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:axes_accessattempt_changelist")


def attempt(username: str, age: timedelta) -> AccessAttempt:
    """Made after signing in: axes deletes the expired attempts at every sign-in itself."""
    row = AccessAttempt.objects.create(
        username=username,
        ip_address="203.0.113.7",
        user_agent="test",
        failures_since_start=5,
        get_data="",
        post_data="",
    )
    AccessAttempt.objects.filter(pk=row.pk).update(attempt_time=timezone.now() - age)
    return row


def clean_up(client, *rows: AccessAttempt):
    data = {"action": "cleanup_expired_attempts", "_selected_action": [r.pk for r in rows]}
    return client.post(CHANGELIST, data)


def test_cleaning_up_removes_only_the_expired_attempts(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    expired = attempt("ada", settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    locked = attempt("bob", timedelta(minutes=1))
    response = clean_up(client, expired, locked)
    assert response.status_code == 302
    assert list(AccessAttempt.objects.values_list("pk", flat=True)) == [locked.pk]


def test_a_staff_user_who_may_only_view_attempts_is_not_offered_the_clean_up(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(codename="view_accessattempt"))
    client.force_login(staff)
    expired = attempt("ada", settings.AXES_COOLOFF_TIME + timedelta(minutes=1))
    assert "cleanup_expired_attempts" not in client.get(CHANGELIST).text
    clean_up(client, expired)
    assert AccessAttempt.objects.filter(pk=expired.pk).exists()
