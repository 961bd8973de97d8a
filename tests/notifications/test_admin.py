"""The outbox in the admin: superusers see every notice and can retry the failed ones; staff
see what their permissions allow, and only those who may change notices can retry them."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
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


def staff_with(*codenames: str) -> Any:
    user = UserFactory(is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return user


def row(notice: Notification) -> tuple[Any, ...]:
    notice.refresh_from_db()
    return (notice.state, notice.tries, notice.next_attempt_at)


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


def test_a_view_only_staff_user_is_not_offered_retry_now(client):
    failed_notice("e1")
    client.force_login(staff_with("view_notification"))
    listing = client.get(CHANGELIST)
    assert listing.status_code == 200 and "ada@example.com" in listing.text
    assert "retry_now" not in listing.text


def test_a_view_only_staff_user_cannot_retry_by_posting_the_action(client):
    notice = failed_notice("e1")
    before = row(notice)
    client.force_login(staff_with("view_notification"))
    response = client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [notice.pk]})
    assert row(notice) == before
    assert response.status_code == 200  # the list again: no action ran


def test_a_staff_user_who_may_change_notices_can_retry_them(client):
    notice = failed_notice("e1")
    client.force_login(staff_with("view_notification", "change_notification"))
    assert "retry_now" in client.get(CHANGELIST).text
    client.post(CHANGELIST, {"action": "retry_now", "_selected_action": [notice.pk]})
    assert row(notice)[:2] == (NotificationState.PENDING, 0)
