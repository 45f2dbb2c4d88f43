"""Paging's references become foreign keys: a step's schedule or person, a contact method's and a
page's channels endpoint. Values are copied; a reference to a row that no longer exists is cleared
(it could never have paged anyone). An incident may have several escalation runs (one per opening)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_refs(apps, schema_editor):
    Step = apps.get_model("paging", "EscalationStep")
    Method = apps.get_model("paging", "ContactMethod")
    Page = apps.get_model("paging", "Page")
    Schedule = apps.get_model("oncall", "Schedule")
    Endpoint = apps.get_model("channels", "Endpoint")
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    schedules = set(Schedule.objects.values_list("id", flat=True))
    users = set(User.objects.values_list("id", flat=True))
    endpoints = set(Endpoint.objects.values_list("id", flat=True))
    for step in Step.objects.exclude(target_ref=None):
        if step.target_kind == "schedule" and step.target_ref in schedules:
            step.schedule_id = step.target_ref
        elif step.target_kind == "person" and step.target_ref in users:
            step.person_id = step.target_ref
        step.save(update_fields=["schedule", "person"])
    for model in (Method, Page):
        for row in model.objects.exclude(endpoint_ref=None):
            if row.endpoint_ref in endpoints:
                row.endpoint_id = row.endpoint_ref
                row.save(update_fields=["endpoint"])


class Migration(migrations.Migration):

    dependencies = [
        ("paging", "0001_initial"),
        ("oncall", "0001_initial"),
        ("channels", "0001_initial"),
        ("incidents", "0004_learning_moved_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="escalationstep", name="schedule",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="oncall.schedule",
                                    help_text="Target schedule: its on-call at the step's instant."),
        ),
        migrations.AddField(
            model_name="escalationstep", name="person",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to=settings.AUTH_USER_MODEL, help_text="Target person."),
        ),
        migrations.RenameField(model_name="contactmethod", old_name="endpoint_id", new_name="endpoint_ref"),
        migrations.RenameField(model_name="page", old_name="endpoint_id", new_name="endpoint_ref"),
        migrations.AddField(
            model_name="contactmethod", name="endpoint",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="channels.endpoint",
                                    help_text="An internal channels endpoint (chat, webhook)."),
        ),
        migrations.AddField(
            model_name="page", name="endpoint",
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name="+", to="channels.endpoint"),
        ),
        migrations.RunPython(copy_refs, migrations.RunPython.noop),
        migrations.RemoveField(model_name="escalationstep", name="target_ref"),
        migrations.RemoveField(model_name="contactmethod", name="endpoint_ref"),
        migrations.RemoveField(model_name="page", name="endpoint_ref"),
        migrations.AlterField(
            model_name="escalation", name="incident",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="escalations",
                                    to="incidents.incident"),
        ),
        migrations.AddField(
            model_name="escalation", name="run",
            field=models.PositiveSmallIntegerField(default=1, help_text="1 for the first opening, 2 after a reopen, ..."),
        ),
        migrations.AddConstraint(
            model_name="escalation",
            constraint=models.UniqueConstraint(fields=("incident", "run"), name="paging_escalation_run"),
        ),
        migrations.AlterField(
            model_name="escalationstep", name="team",
            field=models.CharField(blank=True, max_length=150,
                                   help_text="Target team: the on-call of its schedules, else the auth group of that name."),
        ),
    ]
