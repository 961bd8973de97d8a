"""Audit events are append-only: the model, its queryset, and on PostgreSQL the database."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from releases.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_the_model_refuses_changes(team, build):
    event = build.create().audit_events.get()
    event.comment = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(comment="x")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()


@pytest.mark.postgres
def test_the_database_refuses_raw_updates_and_deletes(team, build):
    event = build.create().audit_events.get()
    for sql in (
        "UPDATE releases_auditevent SET comment = 'x' WHERE id = %s",
        "DELETE FROM releases_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    event.refresh_from_db()
    assert event.verb == "release.created"
