"""A real Celery worker on the CI machine's Redis and PostgreSQL delivers a reminder and a
follow-up; the test starts it as a process and stops it by its process id."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from notifications.models import Notification
from octoacme.celery import app
from releases import tasks
from releases.models import FollowUp
from signoffs.models import SignOff

from .builders import celery_broker
from .processes import run_database_url, start_worker, stop, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]
BROKER = "redis://127.0.0.1:6379/15"  # a database of its own, emptied before the run


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    mail_dir, log = tmp_path / "mail", tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": run_database_url(),
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "SITE_URL": "http://releases.test",
    }
    with celery_broker(BROKER):
        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        proc = start_worker(env=env, log=log, name="test")
        try:
            yield proc, mail_dir
        finally:
            stop([proc])


def test_a_worker_delivers_a_reminder_and_a_follow_up(worker, team, build):
    proc, mail_dir = worker
    staging = build.staging(name="Waiting")
    deployed = build.deployed(name="Shipped")
    # Time has passed: the open gates opened two days ago and the follow-up came due.
    past = timezone.now() - timedelta(days=2)
    SignOff.objects.filter(release=staging, opened_at__isnull=False).update(opened_at=past)
    FollowUp.objects.filter(release=deployed, kind="post_release_duties").update(due_at=past)

    tasks.send_reminders.delay()
    tasks.run_follow_ups.delay()

    def delivered() -> bool:
        sent = Notification.objects.filter(state="sent")
        return (
            sent.filter(kind="reminder_digest").count() == 7
            and sent.filter(kind="post_release_duties").count() == 8
        )

    wait_for(delivered, 60, "the worker to deliver the reminder digests and follow-ups")
    files = "\n".join(p.read_text() for p in mail_dir.iterdir())
    assert "Reminder: 1 sign-off(s) waiting for you" in files
    assert "one day on: your post-release duties" in files
    assert f"http://releases.test/gates/{staging.signoffs.get(role__key='qa-lead').pk}/" in files
    # Nothing was sent twice, and the worker is still the one we started.
    assert (
        Notification.objects.exclude(state="sent")
        .filter(kind__in=["reminder_digest", "post_release_duties"])
        .count()
        == 0
    )
    assert proc.poll() is None
