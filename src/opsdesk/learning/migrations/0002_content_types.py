# The moved models' content types follow them: (incidents, problem) becomes (learning, problem), and
# so on. The timeline (core.Activity), permissions and admin log entries point at these rows, so the
# rows are relabelled (their ids, and so every reference, stay). Should a row for the new label exist
# already (made by post_migrate), its references move to the relabelled row and the duplicate goes.

from django.db import migrations

MODELS = ("problem", "postmortem", "actionitem")


def _references(apps):
    """(model, field name) of every foreign key to ContentType in this state, permissions apart."""
    for model in apps.get_models():
        if model._meta.label_lower == "auth.permission":
            continue
        for field in model._meta.get_fields():
            if field.many_to_one and field.concrete and field.related_model._meta.label_lower == "contenttypes.contenttype":
                yield model, field.name


def _merge_permissions(apps, duplicate, kept):
    """The duplicate's permissions: one the kept row also has gives its users and groups to it and goes."""
    Permission = apps.get_model("auth", "Permission")
    for perm in Permission.objects.filter(content_type=duplicate):
        twin = Permission.objects.filter(content_type=kept, codename=perm.codename).first()
        if twin is None:
            perm.content_type = kept
            perm.save(update_fields=["content_type"])
            continue
        for rel in Permission._meta.related_objects:
            if not rel.many_to_many:
                continue
            through = rel.through
            holder = next(f.name for f in through._meta.fields if f.many_to_one and f.related_model is not Permission)
            have = set(through.objects.filter(permission=twin).values_list(f"{holder}_id", flat=True))
            through.objects.filter(permission=perm).exclude(**{f"{holder}_id__in": have}).update(permission=twin)
        perm.delete()


def _relabel(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for name in MODELS:
        kept = ContentType.objects.filter(app_label=source, model=name).first()
        if kept is None:
            continue
        duplicate = ContentType.objects.filter(app_label=target, model=name).first()
        if duplicate is not None:
            for model, field in _references(apps):
                model._base_manager.filter(**{field: duplicate}).update(**{field: kept})
            _merge_permissions(apps, duplicate, kept)
            duplicate.delete()
        kept.app_label = target
        kept.save(update_fields=["app_label"])


def forwards(apps, schema_editor):
    _relabel(apps, "incidents", "learning")


def backwards(apps, schema_editor):
    _relabel(apps, "learning", "incidents")


class Migration(migrations.Migration):

    dependencies = [
        ('learning', '0001_initial'),
        ('incidents', '0004_learning_moved_out'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('admin', '0003_logentry_add_action_flag_choices'),
        ('core', '0001_initial'),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
