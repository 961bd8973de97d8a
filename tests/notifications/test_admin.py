"""The outbox in the admin: superusers see every notice and can retry the failed ones."""

from __future__ import annotations

import pytest
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification, NotificationState

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:notifications_notification_changelist")


def failed_notice(key: str) -> Notification:
    return Notification.objects.create(
        key=key,
        kind="test",
        release_id=7,
        to_email="ada@example.com",
        subject="Hi",
        body_text="x",
        body_html="x",
        state=NotificationState.FAILED,
        tries=8,
        next_attempt_at=timezone.now(),
    )


def test_it_requires_login(client, settings):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_it_refuses_a_signed_in_user_who_is_not_staff(client):
    client.force_login(UserFactory())
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_it_shows_the_outbox_to_a_superuser(client):
    notice = failed_notice("e1")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200 and "ada@example.com" in listing.text
    detail = client.get(reverse("admin:notifications_notification_change", args=[notice.pk]))
    assert detail.status_code == 200 and "Release id" in detail.text


def test_retry_now_puts_failed_notices_back_for_the_next_sweep(client):
    notice = failed_notice("e1")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert (notice.state, notice.tries) == (NotificationState.PENDING, 0)
