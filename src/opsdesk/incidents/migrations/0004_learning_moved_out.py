# Problem, Postmortem and ActionItem now belong to opsdesk.learning (learning 0001). State only:
# Incident.problem keeps its column and points at learning.Problem, whose table is still
# incidents_problem; the three models leave this app's state. Nothing in the database changes.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0003_reopened_relation'),
        ('learning', '0001_initial'),
    ]

    state_operations = [
        migrations.AlterField(
            model_name='incident',
            name='problem',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='incidents', to='learning.problem'),
        ),
        migrations.DeleteModel(name='ActionItem'),
        migrations.DeleteModel(name='Postmortem'),
        migrations.DeleteModel(name='Problem'),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
