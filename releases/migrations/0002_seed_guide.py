from django.db import migrations

from releases import guide


def seed(apps, schema_editor):
    guide.seed(apps)


class Migration(migrations.Migration):
    dependencies = [("releases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
