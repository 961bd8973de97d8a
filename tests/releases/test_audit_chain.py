"""The audit trail's hash chain: every event chains onto the one before it, `verify_audit`
names the first event edited, deleted or slipped in behind the application's back, and two
writers at once never chain onto the same predecessor."""

from __future__ import annotations

import importlib
import threading
import time
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from releases import audit, chain
from releases.models import AuditEvent, RoleKey

pytestmark = pytest.mark.django_db
QA = RoleKey.QA_LEAD


def behind_the_back(sql: str, params: list[Any]) -> None:
    """Run raw SQL on the audit table as an intruder with database access would: on
    PostgreSQL the append-only trigger is switched off around it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses while the test's deferred foreign-key checks are pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(
                "ALTER TABLE releases_auditevent DISABLE TRIGGER releases_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE releases_auditevent ENABLE TRIGGER releases_auditevent_append_only"
            )


def verify_audit(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit:
        code = int(exit.code or 0)
    return code, out.getvalue(), err.getvalue()


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id"))


@pytest.fixture
def trail(team, build) -> list[AuditEvent]:
    """A few releases' worth of events: created, moved to staging, gates approved."""
    release = build.staging()
    build.approve(release, QA)
    build.create()
    trail = events()
    assert len(trail) >= 5
    return trail


def test_each_event_chains_onto_the_one_before(trail):
    previous = chain.GENESIS
    for event in trail:
        assert len(event.chain_hash) == 64
        assert event.chain_hash == chain.event_hash(event, previous)
        previous = event.chain_hash


def test_the_hash_covers_the_time_as_stored(team):
    event = audit.record(release=None, actor=team[QA], verb="test.recorded", comment="x")
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.created_at == event.created_at
    assert stored.chain_hash == event.chain_hash == chain.event_hash(stored, chain.GENESIS)


def test_it_records_on_whose_behalf_and_the_hash_covers_it(team):
    event = audit.record(
        release=None, actor=team.backup, on_behalf_of=team[QA], verb="gate.approved"
    )
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.on_behalf_of == team[QA]
    stored.on_behalf_of_id = None
    assert chain.event_hash(stored, chain.GENESIS) != event.chain_hash


def test_recording_outside_a_transaction_still_chains(team):
    # Autocommit: record() opens its own transaction so the chain's lock covers the insert.
    first = audit.record(release=None, actor=None, verb="test.one")
    second = audit.record(release=None, actor=None, verb="test.two")
    assert second.chain_hash == chain.event_hash(second, first.chain_hash)


def test_verify_audit_passes_untouched_data(trail):
    code, out, err = verify_audit()
    assert code == 0, err
    assert f"Audit trail intact: {len(trail)} events." in out
    assert f"Latest hash: {trail[-1].chain_hash}" in out


def test_verify_audit_passes_an_empty_trail(db):
    code, out, _ = verify_audit()
    assert (code, out.splitlines()[0]) == (0, "Audit trail intact: 0 events.")


def test_verify_audit_names_a_row_whose_comment_was_edited(trail):
    target = trail[3]
    behind_the_back(
        "UPDATE releases_auditevent SET comment = %s WHERE id = %s", ["all fine", target.pk]
    )
    code, out, err = verify_audit()
    assert code == 1
    assert out == ""
    assert f"Audit event #{target.pk} (" in err
    assert target.verb in err
    assert "content was changed" in err
    assert "The 3 events before it match." in err


def test_verify_audit_names_the_row_after_one_edited_and_rehashed(trail):
    # The intruder recomputes the edited row's hash too: the next row no longer follows.
    target, after = trail[2], trail[3]
    forged = chain.event_hash({**_row(target), "comment": "all fine"}, trail[1].chain_hash)
    behind_the_back(
        "UPDATE releases_auditevent SET comment = %s, chain_hash = %s WHERE id = %s",
        ["all fine", forged, target.pk],
    )
    code, _, err = verify_audit()
    assert code == 1
    assert f"Audit event #{after.pk} (" in err


def test_verify_audit_names_the_row_after_a_deleted_one(trail):
    deleted, after = trail[2], trail[3]
    behind_the_back("DELETE FROM releases_auditevent WHERE id = %s", [deleted.pk])
    code, _, err = verify_audit()
    assert code == 1
    assert f"Audit event #{after.pk} (" in err
    assert "deleted" in err
    assert f"ids #{deleted.pk}-#{deleted.pk} are missing" in err


def test_verify_audit_names_a_row_slipped_in_with_a_valid_looking_hash(trail):
    # A forged event chained onto the last but one, with an id between the last two.
    before, last = trail[-2], trail[-1]
    behind_the_back("DELETE FROM releases_auditevent WHERE id = %s", [last.pk])
    forged = {**_row(last), "verb": "gate.approved", "comment": "forged"}
    forged.update(on_behalf_of_id=None, from_state="", to_state="")
    forged_hash = chain.event_hash(forged, before.chain_hash)
    behind_the_back(
        "INSERT INTO releases_auditevent (id, release_id, actor_id, on_behalf_of_id, verb,"
        " subject, from_state, to_state, comment, created_at, chain_hash)"
        " VALUES (%s, %s, %s, NULL, %s, %s, '', '', %s, %s, %s)",
        [
            last.pk,
            last.release_id,
            last.actor_id,
            "gate.approved",
            last.subject,
            "forged",
            last.created_at,
            forged_hash,
        ],
    )
    # ...and the genuine last event put back after it, as it was.
    behind_the_back(
        "INSERT INTO releases_auditevent (release_id, actor_id, on_behalf_of_id, verb, subject,"
        " from_state, to_state, comment, created_at, chain_hash)"
        " VALUES (%s, %s, NULL, %s, %s, %s, %s, %s, %s, %s)",
        [
            last.release_id,
            last.actor_id,
            last.verb,
            last.subject,
            last.from_state,
            last.to_state,
            last.comment,
            last.created_at,
            last.chain_hash,
        ],
    )
    code, _, err = verify_audit()
    assert code == 1
    assert f"event #{last.pk} before it was inserted" in err


def test_verify_audit_names_a_row_without_a_hash(trail):
    behind_the_back("UPDATE releases_auditevent SET chain_hash = '' WHERE id = %s", [trail[1].pk])
    code, _, err = verify_audit()
    assert code == 1
    assert f"Audit event #{trail[1].pk} (" in err
    assert "no chain hash" in err


def test_an_anchor_still_in_the_chain_passes_and_an_unknown_one_fails(trail):
    assert verify_audit("--anchor", trail[2].chain_hash)[0] == 0
    code, _, err = verify_audit("--anchor", "0" * 64)
    assert code == 1
    assert "not the hash of any event" in err


def test_verify_streams_in_chunks(trail):
    # Chunks smaller than the trail: the chain carries over from one chunk to the next.
    assert chain.verify(chunk_size=2).intact
    assert chain.verify(chunk_size=2).checked == len(trail)


def test_the_migration_chains_events_written_before_the_chain(trail):
    behind_the_back("UPDATE releases_auditevent SET chain_hash = ''", [])
    assert not chain.verify().intact
    migration = importlib.import_module("releases.migrations.0011_audit_chain_backfill")
    state = MigrationExecutor(connection).loader.project_state(
        ("releases", "0011_audit_chain_backfill")
    )
    if connection.vendor == "postgresql":
        with connection.schema_editor() as editor:
            migration.backfill(state.apps, editor)
    else:
        # SQLite's schema editor cannot open inside the test's transaction; the backfill
        # uses only its connection there (no trigger to switch off).
        migration.backfill(state.apps, SimpleNamespace(connection=connection))
    assert [e.chain_hash for e in events()] == [e.chain_hash for e in trail]
    assert verify_audit()[0] == 0
    if connection.vendor == "postgresql":
        # The append-only trigger is back on.
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute("DELETE FROM releases_auditevent WHERE id = %s", [trail[0].pk])


def _row(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in (*chain.CONTENT, "created_at")}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_chain_while_another_has_not_committed():
    first_recorded, errors = threading.Event(), []

    def first() -> None:
        try:
            with transaction.atomic():
                audit.record(release=None, actor=None, verb="test.first")
                first_recorded.set()
                # The second writer is meanwhile reading the chain's head: without the lock
                # it would read the one before ours and fork the chain.
                time.sleep(0.5)
        except Exception as error:  # surfaced by the assertion below
            errors.append(error)
            first_recorded.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_recorded.wait(5)
            with transaction.atomic():
                audit.record(release=None, actor=None, verb="test.second")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    audit.record(release=None, actor=None, verb="test.genesis")
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert [e.verb for e in events()] == ["test.genesis", "test.first", "test.second"]
    assert chain.verify().intact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_writers_at_once_keep_one_intact_chain():
    writers, each = 6, 15
    start, errors = threading.Barrier(writers), []

    def write(n: int) -> None:
        try:
            start.wait(5)
            for k in range(each):
                with transaction.atomic():
                    audit.record(release=None, actor=None, verb="test.race", comment=f"{n}/{k}")
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    verdict = chain.verify()
    assert verdict.intact, verdict.broken
    assert verdict.checked == writers * each
    assert len({e.chain_hash for e in events()}) == writers * each
