"""Starting texts for status updates, one or more per audience (editable data, not code)."""

from django.db import migrations

TEMPLATES = [
    ("Investigating", "responders", "", "Investigating {title}. Affected: {services}. State: {state}. "
     "Next update {next_update}.", "", "", ""),
    ("We know and are working on it", "clients", "",
     "We are aware of a problem affecting {services} and are working on it now. "
     "We will update you by {next_update}.", "", "", ""),
    ("Major disruption (SEV1)", "clients", "sev1",
     "{services} is seriously disrupted. Our incident team is working on it with top priority. "
     "We will update you every 30 minutes; the next update is due by {next_update}.", "", "", ""),
    ("Slow or unavailable system", "end_users", "",
     "{services} is slow or not working for some people. We are fixing it.",
     "Keep working in the parts that still respond; save your work often.",
     "Do not start long tasks in {services} until we say it is fixed.",
     "Use your department's downtime procedure (paper forms) where you need to.", ),
    ("Resolved", "end_users", "",
     "{services} is working normally again. Thank you for your patience.",
     "Everything, as usual.", "", "", ),
]


def add(apps, schema_editor):
    UpdateTemplate = apps.get_model("incidents", "UpdateTemplate")
    for name, audience, severity, body, can_do, cannot_do, workaround in TEMPLATES:
        UpdateTemplate.objects.get_or_create(
            name=name, audience=audience, severity=severity,
            defaults={"body": body, "can_do": can_do, "cannot_do": cannot_do, "workaround": workaround},
        )


def remove(apps, schema_editor):
    UpdateTemplate = apps.get_model("incidents", "UpdateTemplate")
    for name, audience, severity, *_ in TEMPLATES:
        UpdateTemplate.objects.filter(name=name, audience=audience, severity=severity).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(add, remove)]
