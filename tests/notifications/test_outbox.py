"""The outbox: one row per event and person, written with the caller's transaction."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core import mail

from notifications import outbox
from notifications.models import Notification

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def notify(user: AbstractBaseUser, key: str, **fields: object) -> int:
    return outbox.notify(
        key=key,
        kind="test",
        to=outbox.recipients([user]),
        subject="Hi",
        context={"headline": "x"},
        **fields,
    )


def test_one_event_makes_one_notice_per_person():
    user = UserFactory()
    assert notify(user, "same-event") == 1
    assert notify(user, "same-event") == 0
    assert Notification.objects.count() == 1


def test_it_skips_inactive_people_and_those_without_an_address():
    people = [UserFactory(), UserFactory(is_active=False), UserFactory(email="")]
    assert [r.user for r in outbox.recipients([*people, people[0], None])] == [people[0]]


def test_a_notice_keeps_the_number_its_caller_tags_it_with():
    notify(UserFactory(), "tagged", release_id=42)
    assert Notification.objects.get().release_id == 42


def test_the_notice_is_delivered_once_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(UserFactory(username="ada"), "e1")
    (sent,) = mail.outbox
    assert sent.to == ["ada@example.com"] and sent.subject == "[OctoAcme Releases] Hi"
    assert Notification.objects.get().state == "sent"


def test_a_subject_is_one_line_whatever_it_quotes():
    # A name stored before one-line fields were checked, or typed where nothing checks it.
    outbox.notify(
        key="e2",
        kind="test",
        to=outbox.recipients([UserFactory()]),
        subject="Payments down\r\nBcc: attacker@evil.example\u2028and\x85more\tand\x00end",
        context={"headline": "x"},
    )
    assert Notification.objects.get().subject == (
        "[OctoAcme Releases] Payments down Bcc: attacker@evil.example and more and end"
    )


def test_a_long_subject_is_cut_to_fit():
    outbox.notify(
        key="e3",
        kind="test",
        to=outbox.recipients([UserFactory()]),
        subject="Release " + "é" * 1000,
        context={"headline": "x"},
    )
    subject = Notification.objects.get().subject
    assert len(subject) == outbox.SUBJECT_MAX
    assert subject.startswith("[OctoAcme Releases] Release éé") and subject.endswith("é…")


def test_the_footer_says_why_the_person_gets_it():
    user = UserFactory()
    notify(user, "about-a-release", release_id=42)
    notify(user, "about-the-team")
    about = {n.key.split(":")[0]: n for n in Notification.objects.all()}
    assert "because you hold a role on this release." in about["about-a-release"].body_text
    assert "because you take part in releases signed off here." in about["about-the-team"].body_html
    assert "on this release" not in about["about-the-team"].body_text
