"""The audit hash chain: events written before it get their hashes, chained in id order.

The append-only trigger (0003) refuses every UPDATE on PostgreSQL, so the backfill switches
it off for its own transaction and back on before it commits; the ALTER TABLE also holds the
table's exclusive lock, so nothing else writes an event in between.
"""

from django.db import migrations, models
from django.utils import timezone

from releases.chain import GENESIS, event_hash

TRIGGER = "releases_auditevent_append_only"
BATCH = 1000


def backfill(apps, schema_editor):
    AuditEvent = apps.get_model("releases", "AuditEvent")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        # ALTER TABLE refuses while deferred foreign-key checks are pending in the transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE releases_auditevent DISABLE TRIGGER {TRIGGER}")
    previous, last_id = GENESIS, 0
    while True:
        # Pages by id rather than one open cursor: SQLite dislikes updating a table it reads.
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:BATCH])
        if not batch:
            break
        for event in batch:
            event.chain_hash = previous = event_hash(event, previous)
        AuditEvent.objects.bulk_update(batch, ["chain_hash"])
        last_id = batch[-1].id
    if postgres:
        schema_editor.execute(f"ALTER TABLE releases_auditevent ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("releases", "0010_team_and_policy")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="created_at",
            field=models.DateTimeField(default=timezone.now, editable=False),
        ),
        # Backwards there is nothing to undo: the hashes stay, and 0010 drops the column.
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
