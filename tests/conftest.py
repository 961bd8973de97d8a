"""Fixtures: a team with one holder per role, a backup, an outsider and an admin.

`release` builds releases through the services, so tests start from states the app can reach.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.core.servers.basehttp import WSGIServer
from django.db import connection

from releases import services
from releases.models import DefaultHolder, HandoffDecision, Release, Role, RoleKey
from signoffs import services as gate_services
from signoffs.models import SignOff

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


CHROMIUM = "/usr/bin/chromium"


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


@dataclass
class Team:
    holders: dict[str, AbstractBaseUser]
    backup: AbstractBaseUser  # backup of the QA Lead
    outsider: AbstractBaseUser  # signed in, holds nothing
    admin: AbstractBaseUser  # superuser, holds nothing

    def __getitem__(self, key: str) -> AbstractBaseUser:
        return self.holders[key]


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


def gate(release: Release, key: str) -> SignOff:
    return SignOff.objects.select_related("role").get(release=release, role__key=key)


class Builder:
    """Moves a release forward step by step, as its role holders would."""

    def __init__(self, team: Team) -> None:
        self.team = team
        self._n = 0

    def create(self, **fields: Any) -> Release:
        self._n += 1
        defaults = {
            "name": f"Release {self._n}",
            "release_type": "minor",
            "version": services_suggest(fields.get("release_type", "minor")),
            "summary": "Summary",
            "rollback_plan": "Redeploy previous.",
        }
        defaults.update(fields)
        return services.release_create(actor=self.team[RoleKey.PROJECT_MANAGER], **defaults)

    def pre_release_done(self, release: Release) -> Release:
        for item in release.checklist.filter(template__group="pre_release").select_related(
            "template__owner"
        ):
            services.checklist_complete(item_id=item.pk, actor=self.team[item.template.owner.key])
        return release

    def staging(self, **fields: Any) -> Release:
        release = self.pre_release_done(self.create(**fields))
        services.release_move_to_staging(
            release_id=release.pk, actor=self.team[RoleKey.DEVOPS_ENGINEER]
        )
        return refresh(release)

    def proceed(self, release: Release, decision: str = HandoffDecision.PROCEED) -> None:
        handoff = release.handoffs.get(template__key="qa-to-devops")
        services.handoff_send(
            handoff_id=handoff.pk,
            actor=self.team[RoleKey.QA_LEAD],
            notes="All tests pass.",
            decision=decision,
        )

    def approve(self, release: Release, *keys: str) -> None:
        for key in keys:
            gate_services.gate_approve(gate_id=gate(release, key).pk, actor=self.team[key])

    def six(self, release: Release) -> None:
        self.approve(release, *[k for k in RoleKey.values if k != RoleKey.PROJECT_MANAGER])

    def approved(self, **fields: Any) -> Release:
        release = self.staging(**fields)
        self.proceed(release)
        self.six(release)
        self.approve(release, RoleKey.PROJECT_MANAGER)
        return refresh(release)

    def ready_to_deploy(self, **fields: Any) -> Release:
        release = self.approved(**fields)
        for item in release.checklist.filter(template__optional=True).select_related(
            "template__owner"
        ):
            services.checklist_mark_not_applicable(
                item_id=item.pk, actor=self.team[item.template.owner.key], reason="Not needed."
            )
        return release

    def deployed(self, **fields: Any) -> Release:
        release = self.ready_to_deploy(**fields)
        services.release_record_deploy(
            release_id=release.pk, actor=self.team[RoleKey.DEVOPS_ENGINEER]
        )
        return refresh(release)

    def post_release_done(self, release: Release) -> Release:
        for item in release.checklist.filter(template__phase="post_deploy").select_related(
            "template__owner"
        ):
            services.checklist_complete(item_id=item.pk, actor=self.team[item.template.owner.key])
        for handoff in release.handoffs.filter(template__phase="post_deploy").select_related(
            "template__from_role", "template__to_role"
        ):
            services.handoff_send(
                handoff_id=handoff.pk,
                notes="Done.",
                actor=self.team[handoff.template.from_role.key],
            )
            services.handoff_acknowledge(
                handoff_id=handoff.pk, actor=self.team[handoff.template.to_role.key]
            )
        return release

    def closed(self, **fields: Any) -> Release:
        release = self.post_release_done(self.deployed(**fields))
        services.release_close(release_id=release.pk, actor=self.team[RoleKey.PROJECT_MANAGER])
        return refresh(release)


def services_suggest(release_type: str) -> str:
    from releases import versions

    return versions.suggest(release_type=release_type)


def refresh(obj: Any) -> Any:
    obj.refresh_from_db()
    return obj


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


@contextmanager
def celery_broker(url: str) -> Iterator[None]:
    """Publish through a real broker at `url` for the duration, then go back to in-process.

    Celery caches its connection and producer pools; they are dropped on the way in and out so
    that no publish goes to a broker an earlier test configured.
    """
    from octoacme.celery import app

    def reset_pools() -> None:
        from kombu import pools

        pools.reset()  # kombu's global registry would hand back a closed pool otherwise
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url, app.conf.task_always_eager
    reset_pools()
    app.conf.broker_url, app.conf.task_always_eager = url, False
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url, app.conf.task_always_eager = previous
