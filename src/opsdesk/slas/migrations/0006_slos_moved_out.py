"""The SLO models leave the slas app's state for the slos app's (slos 0001_initial), which keeps
their tables: nothing is dropped."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('slas', '0005_pause_on'),
        ('slos', '0001_initial'),  # the models exist there first
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='slo',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='syntheticcheck',
                    name='latency_slo',
                ),
                migrations.RemoveField(
                    model_name='syntheticcheck',
                    name='availability_slo',
                ),
                migrations.RemoveField(
                    model_name='syntheticcheck',
                    name='service',
                ),
                migrations.RemoveField(
                    model_name='syntheticresult',
                    name='check_run',
                ),
                migrations.DeleteModel(
                    name='SliBucket',
                ),
                migrations.DeleteModel(
                    name='Slo',
                ),
                migrations.DeleteModel(
                    name='SyntheticCheck',
                ),
                migrations.DeleteModel(
                    name='SyntheticResult',
                ),
            ],
            database_operations=[],
        ),
    ]
