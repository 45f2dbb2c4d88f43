"""Fewer indexes on work orders: each costs every write and the bulk load's rebuild.

- (blocked, state, -id) and (at_risk, state, -id): the queue and cursor indexes of 0003/0004 serve
  those filters; (window_start): nothing filters on it alone (due_before is an OR with next_needed_by).
- client, site, owner foreign keys: their own indexes duplicate the first column of
  (client|site|owner, state). Only the indexes are dropped (the state records db_index=False):
  altering the fields on SQLite would rebuild the whole table, three times.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


FK_COLUMNS = ("client_id", "site_id", "owner_id")


def _fk_indexes(schema_editor) -> list[str]:  # type: ignore[no-untyped-def]
    table = "workorders_workorder"
    with schema_editor.connection.cursor() as cursor:
        found = schema_editor.connection.introspection.get_constraints(cursor, table)
    return [
        name for name, c in found.items()
        if c["index"] and not c["unique"] and not c["primary_key"] and len(c["columns"]) == 1
        and c["columns"][0] in FK_COLUMNS
    ]


def drop_fk_indexes(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for name in _fk_indexes(schema_editor):
        schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def create_fk_indexes(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    for column in FK_COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name('wo_' + column)} ON workorders_workorder ({column})"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('sites', '0001_initial'),
        ('tenancy', '0001_initial'),
        ('workorders', '0004_working_queue_and_cursor_indexes'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='workorder',
            name='workorders__blocked_416c3d_idx',
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='workorders__at_risk_b132ac_idx',
        ),
        migrations.RemoveIndex(
            model_name='workorder',
            name='workorders__window__1c62d4_idx',
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(drop_fk_indexes, create_fk_indexes)],
            state_operations=[
                migrations.AlterField(
                    model_name='workorder',
                    name='client',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='tenancy.client'),
                ),
                migrations.AlterField(
                    model_name='workorder',
                    name='owner',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='owned_work_orders', to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name='workorder',
                    name='site',
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='work_orders', to='sites.site'),
                ),
            ],
        ),
    ]
