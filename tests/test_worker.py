"""A real Celery worker on the CI machine's Redis and PostgreSQL delivers a reminder and a
follow-up; the test starts it as a process and stops it by its process id."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from octoacme.celery import app
from releases import tasks
from releases.models import FollowUp, Notification
from signoffs.models import SignOff

from .conftest import celery_broker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]
ROOT = Path(__file__).resolve().parents[1]
BROKER = "redis://127.0.0.1:6379/15"  # a database of its own, emptied before the run


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    db = connection.settings_dict
    mail_dir, log_path = tmp_path / "mail", tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "EMAIL_URL": f"filemail://{mail_dir}",
        "SITE_URL": "http://releases.test",
    }
    with celery_broker(BROKER), _started_worker(env, log_path) as proc:
        yield proc, mail_dir


@contextmanager
def _started_worker(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    with app.connection_for_write() as conn:
        conn.default_channel.client.flushdb()
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "octoacme",
                "worker",
                "--pool",
                "solo",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "INFO",
                "--hostname",
                f"test-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(
            lambda: b"ready." in log_path.read_bytes() or proc.poll() is not None,
            60,
            "the worker to start",
        )
        assert proc.poll() is None, log_path.read_text()
        yield proc
    finally:
        os.kill(proc.pid, signal.SIGTERM)  # warm shutdown: finish the task in hand
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        print(log_path.read_text()[-3000:])


def test_a_worker_delivers_a_reminder_and_a_follow_up(worker, team, build):
    proc, mail_dir = worker
    staging = build.staging(name="Waiting")
    deployed = build.deployed(name="Shipped")
    # Time has passed: the gates opened two days ago and the follow-up came due.
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

    try:
        wait_for(delivered, 60, "the worker to deliver the reminder digests and follow-ups")
    finally:
        print(sorted(Notification.objects.values_list("kind", "state", "to_email")))
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
