"""Delivery: each notice sent once, retried on SMTP failure, recovered from dead workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail
from django.utils import timezone

from notifications import delivery, outbox
from notifications.models import Notification, NotificationState

from ..factories import UserFactory
from .smtp import refusing_smtp as refusing

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> AbstractBaseUser:
    return UserFactory(username="ada")


@pytest.fixture
def refusing_smtp(settings: Any) -> Iterator[int]:
    with refusing(settings) as port:
        yield port


def notify(user: AbstractBaseUser, key: str) -> None:
    """One plain test notice to `user`, for event `key`."""
    outbox.notify(
        key=key,
        kind="test",
        to=outbox.recipients([user]),
        subject="Hi",
        context={"headline": "x"},
    )


def test_delivering_twice_sends_once(user):
    notify(user, "e1")
    key = Notification.objects.get().key
    assert delivery.deliver(key) == "sent"
    assert delivery.deliver(key) == "skipped"
    assert delivery.sweep()["sent"] == 0
    assert len(mail.outbox) == 1


def test_an_smtp_refusal_puts_the_notice_back_with_a_backoff(user, refusing_smtp):
    notify(user, "e1")
    assert delivery.sweep()["retry"] == 1
    notice = Notification.objects.get()
    assert (notice.state, notice.tries) == (NotificationState.PENDING, 1)
    assert "554" in notice.last_error and notice.next_attempt_at > timezone.now()


def test_after_the_last_try_a_notice_is_marked_failed_for_an_admin(user, refusing_smtp, settings):
    settings.NOTIFICATION_MAX_TRIES = 3
    notify(user, "e")
    now = timezone.now()
    for hour in range(3):
        with time_machine.travel(now + timedelta(hours=hour)):
            delivery.sweep()
    notice = Notification.objects.get()
    assert (notice.state, notice.tries) == (NotificationState.FAILED, 3)


def test_a_notice_held_by_a_dead_worker_is_sent_after_its_lease(user):
    notify(user, "e")
    Notification.objects.update(state=NotificationState.SENDING, claimed_at=timezone.now())
    assert delivery.sweep()["sent"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        counts = delivery.sweep()
    assert (counts["released"], counts["sent"]) == (1, 1)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_notice_once(user):
    for i in range(30):
        notify(user, f"e{i}")
    # notify() ran outside a transaction, so its eager delivery already happened: put the
    # rows back to pending to have something for the two sweeps to fight over.
    Notification.objects.update(state=NotificationState.PENDING, sent_at=None, tries=0)
    mail.outbox.clear()
    barrier = threading.Barrier(4)
    results: list[dict[str, int]] = []

    def run() -> None:
        from django.db import connection

        barrier.wait()
        try:
            results.append(delivery.sweep())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sum(r["sent"] for r in results) == 30
    assert len(mail.outbox) == 30
    assert Notification.objects.filter(state="sent").count() == 30


def test_a_notice_queued_with_a_line_break_in_its_subject_is_still_sent(user):
    # Queued before the outbox made subjects one line: Django refused it on every try.
    notify(user, "old")
    Notification.objects.update(subject="[OctoAcme Releases] Payments\r\nBcc: a@evil.example")
    assert delivery.deliver(Notification.objects.get().key) == "sent"
    (sent,) = mail.outbox
    assert sent.subject == "[OctoAcme Releases] Payments Bcc: a@evil.example"
    assert sent.recipients() == ["ada@example.com"]
    assert "Bcc" not in sent.message()
