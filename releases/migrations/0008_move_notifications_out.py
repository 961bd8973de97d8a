"""Notification and Throttle move to the `notifications` app, with every row where it is.

Nothing is copied: both tables keep their names (the new models set `db_table`), so this
migration and notifications 0001 only change which app Django thinks owns them. The one
real change is dropping the foreign-key constraint from `releases_notification.release_id`
to the release table, since the outbox may not depend on releases; the column, its values
and its index stay, and the new model reads them as a plain `release_id` number. Old and new
code read and write the same columns, so a deploy can run both side by side.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0007_release_train"),
    ]

    operations = [
        # Drops only the constraint (the index stays); reversed, it puts it back.
        migrations.AlterField(
            model_name="notification",
            name="release",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="notifications",
                to="releases.release",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="Notification"),
                migrations.DeleteModel(name="Throttle"),
            ],
            database_operations=[],  # the tables stay: notifications 0001 adopts them
        ),
    ]
