"""Adopt the outbox and throttle tables that `releases` created (releases 0004, 0008).

State only: the tables, their rows and their indexes already exist under their old names,
and the models keep those names with `db_table`. The content types move too, so permissions
and admin history that point at them keep working.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ("notification", "throttle")


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        # A fresh database has neither yet: post_migrate creates the new one afterwards.
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def adopt_content_types(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "releases", "notifications")


def return_content_types(apps, schema_editor) -> None:
    _move_content_types(apps, schema_editor, "notifications", "releases")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        # The tables are created by releases 0004 and handed over by releases 0008.
        ("releases", "0008_move_notifications_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Notification",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=200, unique=True)),
                        ("kind", models.CharField(max_length=40)),
                        (
                            "release_id",
                            models.BigIntegerField(blank=True, db_index=True, null=True),
                        ),
                        ("to_email", models.EmailField(max_length=254)),
                        ("subject", models.CharField(max_length=255)),
                        ("body_text", models.TextField()),
                        ("body_html", models.TextField()),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("pending", "Pending"),
                                    ("sending", "Sending"),
                                    ("sent", "Sent"),
                                    ("failed", "Failed"),
                                ],
                                default="pending",
                                max_length=8,
                            ),
                        ),
                        ("tries", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        ("claimed_at", models.DateTimeField(blank=True, null=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        (
                            "recipient",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "releases_notification",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(
                                fields=["state", "next_attempt_at"],
                                name="releases_no_state_cf4b0f_idx",
                            )
                        ],
                    },
                ),
                migrations.CreateModel(
                    name="Throttle",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=100, unique=True)),
                        ("last_at", models.DateTimeField()),
                    ],
                    options={"db_table": "releases_throttle"},
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(adopt_content_types, return_content_types),
    ]
