# The learning loop's models move here from the incidents app (issue 18). State only: the tables
# (incidents_problem, incidents_problem_clients, incidents_postmortem, incidents_actionitem) stay as
# they are; incidents 0004 re-points Incident.problem here and drops the models from its own state.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('incidents', '0003_reopened_relation'),
        ('services', '0001_initial'),
        ('tenancy', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    state_operations = [
        migrations.CreateModel(
            name='Problem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=200)),
                ('signature', models.CharField(help_text='What the recurring incidents share (alert name, summary).', max_length=255)),
                ('state', models.CharField(choices=[('proposed', 'Proposed'), ('open', 'Open'), ('known_error', 'Known error'), ('resolved', 'Resolved'), ('dismissed', 'Dismissed')], default='proposed', max_length=20)),
                ('known_error', models.TextField(blank=True)),
                ('workaround', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('clients', models.ManyToManyField(blank=True, db_table='incidents_problem_clients', related_name='problems', to='tenancy.client')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('service', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='problems', to='services.service')),
            ],
            options={
                'db_table': 'incidents_problem',
                'ordering': ['-created_at', '-id'],
                'constraints': [models.UniqueConstraint(fields=('service', 'signature'), name='one_problem_per_signature')],
            },
        ),
        migrations.CreateModel(
            name='Postmortem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('draft', 'Draft'), ('in_review', 'In review'), ('published', 'Published')], default='draft', max_length=20)),
                ('summary', models.TextField(blank=True)),
                ('impact', models.TextField(blank=True)),
                ('detection', models.TextField(blank=True)),
                ('response', models.TextField(blank=True)),
                ('contributing_factors', models.TextField(blank=True)),
                ('went_well', models.TextField(blank=True)),
                ('was_hard', models.TextField(blank=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('incident', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='postmortem', to='incidents.incident')),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'db_table': 'incidents_postmortem',
                'ordering': ['-created_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='ActionItem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('title', models.CharField(max_length=300)),
                ('due_on', models.DateField()),
                ('state', models.CharField(choices=[('open', 'Open'), ('in_progress', 'In progress'), ('done', 'Done'), ('wont_do', "Won't do")], default='open', max_length=20)),
                ('done_at', models.DateTimeField(blank=True, null=True)),
                ('overdue_notified_on', models.DateField(blank=True, null=True)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('postmortem', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='actions', to='learning.postmortem')),
            ],
            options={
                'db_table': 'incidents_actionitem',
                'ordering': ['due_on', 'id'],
                'indexes': [models.Index(fields=['state', 'due_on'], name='action_state_due')],
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
