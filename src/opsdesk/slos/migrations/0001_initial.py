"""The SLO models, moved here from the slas app with their tables (slas_slo, slas_slibucket,
slas_syntheticcheck, slas_syntheticresult): the state moves, the database is not touched.

The content types of the moved models are relabelled slas -> slos, so timeline entries,
permissions and admin log entries keep pointing at the same objects.
"""

import django.db.models.deletion
from django.db import migrations, models

MOVED = ("slo", "slibucket", "syntheticcheck", "syntheticresult")


def _references(apps, target):
    """(model, field) of every concrete foreign key to `target` among the migrated models."""
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is target:
                yield model, field


def _move_grants(apps, Permission, duplicate, kept):
    """Users' and groups' grants of `duplicate` become grants of `kept` (one each), then it goes."""
    for model, field in _references(apps, Permission):
        others = [f.attname for f in model._meta.concrete_fields if f.is_relation and f is not field]
        for row in model._default_manager.filter(**{field.attname: duplicate.pk}):
            same = {name: getattr(row, name) for name in others}
            if model._default_manager.filter(**{field.attname: kept.pk}, **same).exists():
                row.delete()
            else:
                model._default_manager.filter(pk=row.pk).update(**{field.attname: kept.pk})
    duplicate.delete()


def _merge(apps, duplicate, kept):
    """Everything pointing at the content type `duplicate` points at `kept`; `duplicate` goes.

    A duplicate is what post_migrate makes for a model it did not find (e.g. a database on which
    `migrate slos` ran alone): its permissions are the default ones, so grants move to kept's.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    for perm in Permission.objects.filter(content_type=duplicate):
        twin = Permission.objects.filter(content_type=kept, codename=perm.codename).first()
        if twin is None:
            Permission.objects.filter(pk=perm.pk).update(content_type=kept)
        else:
            _move_grants(apps, Permission, perm, twin)
    for model, field in _references(apps, ContentType):
        model._default_manager.filter(**{field.attname: duplicate.pk}).update(**{field.attname: kept.pk})
    duplicate.delete()


def relabel(apps, old_label, new_label):
    """The moved models' content types change app label, keeping their ids (and every reference)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        moved = ContentType.objects.filter(app_label=old_label, model=model).first()
        if moved is None:
            continue  # a fresh database: post_migrate creates the new ones
        duplicate = ContentType.objects.filter(app_label=new_label, model=model).first()
        if duplicate is not None:
            _merge(apps, duplicate, moved)
        ContentType.objects.filter(pk=moved.pk).update(app_label=new_label)
    ContentType.objects.clear_cache()


def forwards(apps, schema_editor):
    relabel(apps, "slas", "slos")


def backwards(apps, schema_editor):
    relabel(apps, "slos", "slas")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('services', '0001_initial'),
        ('slas', '0005_pause_on'),  # the last migration in which slas held these models
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Slo',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('kind', models.CharField(choices=[('availability', 'Availability'), ('latency', 'Latency')], max_length=20)),
                        ('objective', models.FloatField(help_text='Share of valid events that must be good, e.g. 0.999.')),
                        ('window_days', models.PositiveSmallIntegerField(default=28, help_text='Rolling window of the objective.')),
                        ('latency_threshold_ms', models.PositiveIntegerField(blank=True, help_text='Latency SLIs only.', null=True)),
                        ('key_prefix', models.CharField(blank=True, help_text='First characters of the SLI key.', max_length=12)),
                        ('key_hash', models.CharField(help_text='SHA-256 of the SLI key (shown once).', max_length=64, unique=True)),
                        ('alerting', models.BooleanField(default=True, help_text='Send burn-rate alerts into the alert pipeline.')),
                        ('firing', models.JSONField(blank=True, default=dict, help_text='Burn-rate rules firing now: name -> since (ISO).')),
                        ('active', models.BooleanField(default=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='slos', to='services.service')),
                    ],
                    options={
                        'verbose_name': 'SLO',
                        'db_table': 'slas_slo',
                        'ordering': ['service__name', 'name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='SliBucket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('start_at', models.DateTimeField()),
                        ('seconds', models.PositiveIntegerField(default=60)),
                        ('good', models.PositiveBigIntegerField()),
                        ('valid', models.PositiveBigIntegerField()),
                        ('slo', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='buckets', to='slos.slo')),
                    ],
                    options={
                        'db_table': 'slas_slibucket',
                    },
                ),
                migrations.CreateModel(
                    name='SyntheticCheck',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200)),
                        ('url', models.URLField(max_length=500)),
                        ('fail_status_from', models.PositiveSmallIntegerField(default=400, help_text='Statuses from this one fail.')),
                        ('interval_seconds', models.PositiveIntegerField(default=60)),
                        ('timeout_seconds', models.FloatField(default=5.0)),
                        ('active', models.BooleanField(default=True)),
                        ('next_run_at', models.DateTimeField(blank=True, null=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('availability_slo', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='slos.slo')),
                        ('latency_slo', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='slos.slo')),
                        ('service', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='synthetic_checks', to='services.service')),
                    ],
                    options={
                        'db_table': 'slas_syntheticcheck',
                        'ordering': ['service__name', 'name', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='SyntheticResult',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('at', models.DateTimeField()),
                        ('status_code', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('duration_ms', models.FloatField()),
                        ('ok', models.BooleanField()),
                        ('error', models.CharField(blank=True, max_length=300)),
                        ('check_run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='results', to='slos.syntheticcheck')),
                    ],
                    options={
                        'db_table': 'slas_syntheticresult',
                    },
                ),
                migrations.AddConstraint(
                    model_name='slo',
                    constraint=models.UniqueConstraint(fields=('service', 'name'), name='slo_name_per_service'),
                ),
                migrations.AddConstraint(
                    model_name='slibucket',
                    constraint=models.UniqueConstraint(fields=('slo', 'start_at'), name='sli_bucket_per_start'),
                ),
                migrations.AddConstraint(
                    model_name='slibucket',
                    constraint=models.CheckConstraint(condition=models.Q(('good__lte', models.F('valid'))), name='sli_good_within_valid'),
                ),
                migrations.AddIndex(
                    model_name='syntheticcheck',
                    index=models.Index(fields=['active', 'next_run_at'], name='synthetic_check_due'),
                ),
                migrations.AddIndex(
                    model_name='syntheticresult',
                    index=models.Index(fields=['check_run', 'at'], name='synthetic_result_at'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards),
    ]
