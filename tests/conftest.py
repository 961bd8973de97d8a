"""Fixtures: a team with one holder per role, a backup, an outsider and an admin.

`build` builds releases through the services, so tests start from states the app can reach.
Test modules import helpers from builders.py, never from a conftest.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection

from releases.models import DefaultHolder, Release, Role, RoleKey

from .builders import CHROMIUM, Builder, Team
from .factories import UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

# Django's test server listens with a backlog of 10 and resets the rest; the race tests open
# 50 connections at once (gunicorn, in production, keeps a backlog of 2048).
WSGIServer.request_queue_size = 128


@pytest.fixture(autouse=True, scope="session")
def _database_is_postgres_in_ci(django_db_setup: Any, django_db_blocker: Any) -> None:
    if IN_CI and connection.vendor != "postgresql":
        pytest.fail(f"CI=true needs PostgreSQL; the tests are on {connection.vendor}.")


@pytest.fixture(autouse=True)
def _fresh_fragment_cache() -> None:
    # Rolled-back test data can reuse ids (SQLite does), so no card may outlive its test.
    from django.core.cache import caches

    caches["fragments"].clear()


def _redis_answers() -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        if IN_CI:
            pytest.fail("This test needs PostgreSQL, which CI must provide.")
        pytest.skip("needs PostgreSQL (row locks)")
    if item.get_closest_marker("redis") and not _redis_answers():
        if IN_CI:
            pytest.fail("This test needs Redis on 127.0.0.1:6379, which CI must provide.")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    if item.get_closest_marker("browser") and not os.path.exists(CHROMIUM):
        if IN_CI:
            pytest.fail(f"This test needs Chromium at {CHROMIUM}; .ci/run installs it.")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    """The guide's roles and templates, for tests whose tables are truncated afterwards."""
    from django.apps import apps

    from releases import guide

    guide.seed(apps)


@pytest.fixture
def team(db: Any) -> Team:
    holders = {key: UserFactory(username=key) for key in RoleKey.values}
    backup = UserFactory(username="qa-backup")
    for key, user in holders.items():
        DefaultHolder.objects.update_or_create(
            role=Role.objects.get(key=key),
            defaults={"holder": user, "backup": backup if key == RoleKey.QA_LEAD else None},
        )
    return Team(
        holders=holders,
        backup=backup,
        outsider=UserFactory(username="outsider"),
        admin=UserFactory(username="root", is_staff=True, is_superuser=True),
    )


@pytest.fixture
def build(team: Team) -> Builder:
    return Builder(team)


@pytest.fixture
def audit_count() -> Callable[[Release], int]:
    return lambda release: release.audit_events.count()


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # PBKDF2 costs ~0.3 s a user; the tests make dozens of users and never test hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True, scope="session")
def _celery_runs_in_process() -> Iterator[None]:
    # Tasks queued after commit run at once, in this process; the worker test turns this off
    # to go through a real broker.
    from octoacme.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False
