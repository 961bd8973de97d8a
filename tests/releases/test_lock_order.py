"""The chain lock comes before any release row lock, so recording an event and then locking a
second release never deadlocks with someone doing the same the other way round."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from releases import audit, chain
from releases.locks import lock_release

from ..builders import Builder

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("seeded"),
]


def test_two_writers_locking_two_releases_in_opposite_orders_both_finish(team):
    build = Builder(team)
    a, b = build.create(name="Alpha"), build.create(name="Beta")
    both_started, errors = threading.Barrier(2), []

    def write(first: int, second: int) -> None:
        try:
            both_started.wait(5)
            with transaction.atomic():
                release = lock_release(first)
                audit.record(release=release, actor=None, verb="test.first")
                time.sleep(0.3)  # the other writer is meanwhile trying its own first lock
                lock_release(second)
        except Exception as error:  # a deadlock would surface here as DatabaseError
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=write, args=(a.pk, b.pk)),
        threading.Thread(target=write, args=(b.pk, a.pk)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert errors == []
    assert chain.verify().intact
