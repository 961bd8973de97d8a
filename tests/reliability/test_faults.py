"""Faults a real deployment has, with real processes: a worker killed with SIGKILL in the
middle of a delivery, Redis stopped while people sign, an SMTP server that refuses.
Counted at the end: 0 notices lost, 0 sent twice."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from notifications import outbox, tasks
from notifications.models import Notification
from octoacme.celery import app
from releases.models import RoleKey

from ..builders import celery_broker
from ..processes import free_port, run_database_url, start_worker, stop, wait_for
from .report import record
from .smtp_sink import Sink
from .test_races_http import Session

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]
SECTION = "Faults (notices counted at an SMTP server on loopback)"


@pytest.fixture
def sink() -> Iterator[Sink]:
    s = Sink()
    yield s
    s.close()


class Workers:
    def __init__(self, tmp: Path, broker: str, sink: Sink) -> None:
        self.tmp, self.procs = tmp, []
        self.env = {
            **os.environ,
            "DATABASE_URL": run_database_url(),
            "CELERY_BROKER_URL": broker,
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "NOTIFICATION_LEASE": "3s",
            "NOTIFICATION_RETRY_BASE": "1s",
        }

    def start(self) -> subprocess.Popen[bytes]:
        n = len(self.procs)
        proc = start_worker(env=self.env, log=self.tmp / f"worker{n}.log", name=f"fault{n}")
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        stop(self.procs)


@pytest.fixture
def workers(tmp_path: Path, sink: Sink) -> Iterator[Workers]:
    broker = "redis://127.0.0.1:6379/13"
    with celery_broker(broker):
        with app.connection_for_write() as conn:
            conn.default_channel.client.flushdb()
        w = Workers(tmp_path, broker, sink)
        try:
            yield w
        finally:
            w.stop()


def queue_notices(team: Any, n: int, prefix: str) -> set[str]:
    for i in range(n):
        outbox.notify(
            key=f"{prefix}{i}",
            kind="fault",
            to=outbox.recipients([team[RoleKey.QA_LEAD]]),
            subject=f"Fault {i}",
            context={"headline": "x"},
        )
    return set(Notification.objects.filter(kind="fault").values_list("key", flat=True))


def all_sent(keys: set[str]) -> bool:
    return Notification.objects.filter(key__in=keys, state="sent").count() == len(keys)


def sweep() -> None:
    tasks.deliver_due.delay()


def _kill_mid_delivery(crew: Any, sink: Sink, workers: Workers, stall_at: str) -> dict[str, int]:
    sink.stall, sink.stall_at = 0.3, stall_at
    first = workers.start()
    keys = queue_notices(crew.team, 30, f"kill-{stall_at}-")
    wait_for(
        lambda: sum(sink.delivered.values()) >= 5 and sink.stalling.is_set(),
        60,
        "the worker to be in the middle of a delivery",
    )
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    in_flight = Notification.objects.filter(key__in=keys, state="sending").count()
    sink.stall = 0
    workers.start()
    wait_for(lambda: all_sent(keys), 90, "every notice to be delivered", poke=sweep)
    return {**sink.counts(keys), "claimed by the killed worker": in_flight}


def test_a_worker_killed_while_sending_a_message_loses_and_doubles_nothing(crew, sink, workers):
    counts = _kill_mid_delivery(crew, sink, workers, "transfer")
    record(SECTION, **{f"kill -9 while sending a message: {k}": v for k, v in counts.items()})
    assert counts["claimed by the killed worker"] == 1
    assert counts["lost"] == 0 and counts["sent twice"] == 0


def test_a_worker_killed_while_awaiting_the_servers_reply(crew, sink, workers):
    # The one window no outbox can close: the server took the message after the final dot,
    # and the worker died before reading the 250. The retry carries the same Message-ID.
    counts = _kill_mid_delivery(crew, sink, workers, "reply")
    record(SECTION, **{f"kill -9 awaiting the server's 250: {k}": v for k, v in counts.items()})
    assert counts["lost"] == 0
    assert counts["sent twice"] <= 1
    assert counts["copies with a different Message-ID"] == 0


def test_redis_stopped_while_people_sign(crew, sink, tmp_path, live_server):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed to stop and start a Redis of the test's own")
    port = free_port()
    command = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
    ]
    redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    broker = f"redis://127.0.0.1:{port}/0"
    time.sleep(0.5)
    w = Workers(tmp_path, broker, sink)
    try:
        with celery_broker(broker):
            w.start()
            release = crew.stage("staging")
            gates = {g.role.key: g for g in release.signoffs.select_related("role")}
            Notification.objects.update(state="sent")  # set-up notices are not under test
            before = set(Notification.objects.values_list("key", flat=True))
            signers = [RoleKey.QA_LEAD, RoleKey.DEVOPS_ENGINEER, RoleKey.BUSINESS_ANALYST]
            Session(live_server.url, crew.team[signers[0]]).post(
                f"/gates/{gates[signers[0]].pk}/reject/", {"revision": 0, "comment": "Up"}
            )
            redis.terminate()
            redis.wait()
            statuses = [
                Session(live_server.url, crew.team[key]).post(
                    f"/gates/{gates[key].pk}/reject/", {"revision": 0, "comment": "Down"}
                )
                for key in signers[1:]
            ]
            waiting = Notification.objects.exclude(key__in=before).exclude(state="sent").count()
            redis = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            keys = set(Notification.objects.exclude(key__in=before).values_list("key", flat=True))
            wait_for(lambda: all_sent(keys), 120, "delivery after Redis came back", poke=sweep)
    finally:
        w.stop()
        redis.terminate()
        redis.wait()
    counts = sink.counts(keys)
    record(
        SECTION,
        **{f"Redis down while signing: {k}": v for k, v in counts.items()},
        **{
            "Redis down while signing: sign-offs that still succeeded": statuses.count(302),
            "Redis down while signing: notices waiting while it was down": waiting,
        },
    )
    assert statuses == [302, 302]
    assert waiting > 0
    assert {g.state for g in release.signoffs.filter(role__key__in=signers)} == {"rejected"}
    assert counts["lost"] == 0 and counts["sent twice"] == 0


def test_an_smtp_server_that_refuses_delays_but_loses_nothing(crew, sink, workers):
    sink.refuse_next = 12
    workers.start()
    keys = queue_notices(crew.team, 10, "refuse")
    wait_for(lambda: all_sent(keys), 90, "delivery once SMTP accepts again", poke=sweep)
    retried = Notification.objects.filter(key__in=keys, tries__gt=1).count()
    counts = sink.counts(keys)
    record(
        SECTION,
        **{f"SMTP refusing: {k}": v for k, v in counts.items()},
        **{"SMTP refusing: notices that needed a retry": retried},
    )
    assert retried >= 1
    assert counts["lost"] == 0 and counts["sent twice"] == 0
