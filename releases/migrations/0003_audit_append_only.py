from django.db import migrations

# The model refuses updates and deletes; on PostgreSQL the database refuses them too, so no
# raw query, admin action or future bug can rewrite history.
FORWARD = """
CREATE OR REPLACE FUNCTION releases_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER releases_auditevent_append_only
    BEFORE UPDATE OR DELETE ON releases_auditevent
    FOR EACH ROW EXECUTE FUNCTION releases_auditevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS releases_auditevent_append_only ON releases_auditevent;
DROP FUNCTION IF EXISTS releases_auditevent_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("releases", "0002_seed_guide")]
    operations = [migrations.RunPython(forward, backward)]
