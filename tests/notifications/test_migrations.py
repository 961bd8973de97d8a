"""The outbox moved from `releases` to `notifications` without losing a row.

A database as the code left it before the move (releases 0007, sign-offs at 0003, the last
that needs no later releases migration) gets a notice and a throttle through the historical
models, migrates forward, and the new models read both back unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.apps.registry import Apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from notifications.models import Notification, Throttle

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_THE_MOVE = ("releases", "0007_release_train")
# Sign-offs as they were then: 0004 (retroactive gates) needs releases 0010.
SIGNOFFS_THEN = ("signoffs", "0003_decided_for")
WHEN = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def migrate(targets: list[tuple[str, str]]) -> Apps:
    """Migrate the test database to `targets`; returns the models as they are there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    # A fresh loader: the one that migrated cached the plan it started from.
    return MigrationExecutor(connection).loader.project_state(targets).apps


def applied() -> set[tuple[str, str]]:
    return set(MigrationExecutor(connection).loader.applied_migrations)


def test_a_notice_and_a_throttle_written_before_the_move_survive_it():
    old = migrate([BEFORE_THE_MOVE, SIGNOFFS_THEN])
    assert not {m for m in applied() if m[0] == "notifications"}
    assert SIGNOFFS_THEN in applied()

    user = old.get_model("auth", "User").objects.create(username="ada", email="ada@example.com")
    release = old.get_model("releases", "Release").objects.create(
        name="Move", version="9.0.0", release_type="major", created_by=user
    )
    old.get_model("releases", "Notification").objects.create(
        key="ev1:gate-opened:1:u1",
        kind="gate_opened",
        release=release,
        recipient=user,
        to_email="ada@example.com",
        subject="[OctoAcme Releases] Your sign-off is requested",
        body_text="Hello Ada",
        body_html="<p>Hello Ada</p>",
        state="failed",
        tries=8,
        next_attempt_at=WHEN,
        last_error="SMTPDataError: 554",
    )
    old.get_model("releases", "Throttle").objects.create(key="digest:1", last_at=WHEN)
    old_types = old.get_model("contenttypes", "ContentType").objects
    type_id = old_types.get(app_label="releases", model="notification").pk

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    notice = Notification.objects.get()
    assert (notice.key, notice.kind, notice.state, notice.tries) == (
        "ev1:gate-opened:1:u1",
        "gate_opened",
        "failed",
        8,
    )
    assert (notice.release_id, notice.recipient_id) == (release.pk, user.pk)
    assert (notice.to_email, notice.body_text, notice.body_html) == (
        "ada@example.com",
        "Hello Ada",
        "<p>Hello Ada</p>",
    )
    assert (notice.next_attempt_at, notice.last_error) == (WHEN, "SMTPDataError: 554")
    throttle = Throttle.objects.get()
    assert (throttle.key, throttle.last_at) == ("digest:1", WHEN)
    # Permissions and admin history keep pointing at the same content type row.
    ContentType.objects.clear_cache()
    assert ContentType.objects.get_for_model(Notification).pk == type_id


def test_the_release_column_keeps_its_index_but_no_longer_points_at_releases():
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "releases_notification")
    on_release = [c for c in constraints.values() if c["columns"] == ["release_id"]]
    assert any(c["index"] for c in on_release)
    assert not any(c["foreign_key"] for c in on_release)
