"""Seed the completeness rules and category policies a fresh install starts with (data, editable)."""

from django.db import migrations


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    from opsdesk.workorders.category_rules import seed

    seed(apps.get_model("workorders", "CategoryField"), apps.get_model("workorders", "CategoryPolicy"))


class Migration(migrations.Migration):
    dependencies = [("workorders", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
