"""A database from before issue 18 (the SLO models in the slas app) migrates to the slos app
without losing a row: the tables stay, and the content types move with the models, so the
timeline, permissions and the admin's log keep pointing at the same objects."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.db.migrations.state import StateApps

pytestmark = pytest.mark.django_db(transaction=True)

# The previous layout's latest migrations of every app involved (main before the move).
PREVIOUS = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("tenancy", "0001_initial"),
    ("accounts", "0001_initial"),
    ("services", "0001_initial"),
    ("core", "0003_audit_event"),
    ("slas", "0005_pause_on"),
]
MOVED = [("slos", "0001_initial"), ("slas", "0006_slos_moved_out")]
MODELS = ("slo", "slibucket", "syntheticcheck", "syntheticresult")
AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _old_world(apps: StateApps) -> dict[str, Any]:
    """One of each moved model through the slas app's models, each with a timeline entry."""
    Client = apps.get_model("tenancy", "Client")
    Service = apps.get_model("services", "Service")
    Slo = apps.get_model("slas", "Slo")
    SliBucket = apps.get_model("slas", "SliBucket")
    SyntheticCheck = apps.get_model("slas", "SyntheticCheck")
    SyntheticResult = apps.get_model("slas", "SyntheticResult")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Activity = apps.get_model("core", "Activity")
    client = Client.objects.create(code="northgate", name="Northgate Health")
    service = Service.objects.create(client=client, code="epr", name="EPR")
    slo = Slo.objects.create(service=service, name="Availability", kind="availability", objective=0.999,
                             window_days=28, key_prefix="osk_abcdefgh", key_hash="a" * 64,
                             firing={"page-fast": AT.isoformat()})
    latency = Slo.objects.create(service=service, name="Latency", kind="latency", objective=0.95,
                                 latency_threshold_ms=800, key_hash="b" * 64)
    bucket = SliBucket.objects.create(slo=slo, start_at=AT, seconds=300, good=990, valid=1000)
    check = SyntheticCheck.objects.create(service=service, name="Login page", url="https://epr.example/login",
                                          availability_slo=slo, latency_slo=latency, next_run_at=AT)
    result = SyntheticResult.objects.create(check_run=check, at=AT, status_code=503, duration_ms=120.5,
                                            ok=False, error="HTTP 503")
    objects = {"slo": slo, "slibucket": bucket, "syntheticcheck": check, "syntheticresult": result}
    types = {name: ContentType.objects.get_or_create(app_label="slas", model=name)[0] for name in MODELS}
    for name, obj in objects.items():
        Activity.objects.create(at=AT, actor_label="alice", content_type=types[name], object_id=obj.pk,
                                verb="created", summary=f"{name} {obj.pk}")
    return {"service": service.pk, "latency": latency.pk, "types": {n: t.pk for n, t in types.items()},
            **{name: obj.pk for name, obj in objects.items()}}


def _grant(apps: StateApps, content_type: Any, group_name: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    perm, _ = Permission.objects.get_or_create(content_type=content_type, codename="view_slo",
                                               defaults={"name": "Can view SLO"})
    Group.objects.create(name=group_name).permissions.add(perm)


def _assert_moved(apps: StateApps, old: dict[str, Any]) -> None:
    """Every row is read through the slos models, with its fields and keys as they were."""
    Slo = apps.get_model("slos", "Slo")
    slo = Slo.objects.get(pk=old["slo"])
    assert (slo.service_id, slo.name, slo.kind, slo.objective, slo.key_hash) == (
        old["service"], "Availability", "availability", 0.999, "a" * 64)
    assert slo.firing == {"page-fast": AT.isoformat()}
    assert Slo.objects.get(pk=old["latency"]).latency_threshold_ms == 800
    bucket = apps.get_model("slos", "SliBucket").objects.get(pk=old["slibucket"])
    assert (bucket.slo_id, bucket.start_at, bucket.seconds, bucket.good, bucket.valid) == (slo.pk, AT, 300, 990, 1000)
    check = apps.get_model("slos", "SyntheticCheck").objects.get(pk=old["syntheticcheck"])
    assert (check.service_id, check.availability_slo_id, check.latency_slo_id) == (old["service"], slo.pk, old["latency"])
    assert (check.url, check.next_run_at) == ("https://epr.example/login", AT)
    result = apps.get_model("slos", "SyntheticResult").objects.get(pk=old["syntheticresult"])
    assert (result.check_run_id, result.status_code, result.duration_ms, result.ok, result.error) == (
        check.pk, 503, 120.5, False, "HTTP 503")
    assert list(check.results.values_list("pk", flat=True)) == [result.pk]
    assert list(slo.buckets.values_list("pk", flat=True)) == [bucket.pk]


def _assert_timeline_follows(apps: StateApps, old: dict[str, Any]) -> None:
    """Each entry resolves, through the content type of the slos model, to the moved object."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Activity = apps.get_model("core", "Activity")
    assert not ContentType.objects.filter(app_label="slas", model__in=MODELS).exists()
    for name in MODELS:
        content_type = ContentType.objects.get(app_label="slos", model=name)
        assert content_type.pk == old["types"][name]  # relabelled in place: every reference holds
        entry = Activity.objects.get(content_type=content_type, object_id=old[name], verb="created")
        model = apps.get_model("slos", name)
        assert entry.summary == f"{name} {old[name]}"
        assert model.objects.get(pk=entry.object_id).pk == old[name]


def test_rows_and_timeline_follow_the_models_to_the_slos_app(migrator: Any) -> None:
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    assert not MigrationRecorder.Migration.objects.filter(app="slos").exists()  # truly the old layout
    old = _old_world(old_apps)
    LogEntry = old_apps.get_model("admin", "LogEntry")
    user = old_apps.get_model("accounts", "User").objects.create(username="alice")
    LogEntry.objects.create(user=user, content_type_id=old["types"]["slo"], object_id=str(old["slo"]),
                            object_repr="Availability", action_flag=2, change_message="[]", action_time=AT)
    _grant(old_apps, old_apps.get_model("contenttypes", "ContentType").objects.get(pk=old["types"]["slo"]), "SRE")

    new_apps = migrator.apply_tested_migration(MOVED).apps

    _assert_moved(new_apps, old)
    _assert_timeline_follows(new_apps, old)
    entry = new_apps.get_model("admin", "LogEntry").objects.get()
    assert (entry.content_type.app_label, entry.content_type.model, entry.object_id) == ("slos", "slo", str(old["slo"]))
    sre = new_apps.get_model("auth", "Group").objects.get(name="SRE")
    assert [(p.content_type.app_label, p.codename) for p in sre.permissions.all()] == [("slos", "view_slo")]


def test_a_content_type_already_made_for_the_slos_app_is_merged_into_the_moved_one(migrator: Any) -> None:
    """post_migrate may have made slos.slo already (e.g. `migrate slos` ran alone): the moved type,
    which the timeline points at, is kept; the duplicate's grants and entries move onto it."""
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    old = _old_world(old_apps)
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    Activity = old_apps.get_model("core", "Activity")
    moved = ContentType.objects.get(pk=old["types"]["slo"])
    duplicate = ContentType.objects.create(app_label="slos", model="slo")
    _grant(old_apps, moved, "SRE")
    _grant(old_apps, duplicate, "Auditors")
    old_apps.get_model("auth", "Permission").objects.create(content_type=duplicate, codename="export_slo",
                                                           name="Can export SLO")
    stray = Activity.objects.create(at=AT, actor_label="bob", content_type=duplicate, object_id=old["slo"],
                                    verb="updated", summary="after post_migrate")

    new_apps = migrator.apply_tested_migration(MOVED).apps

    _assert_moved(new_apps, old)
    _assert_timeline_follows(new_apps, old)
    ContentType = new_apps.get_model("contenttypes", "ContentType")
    assert list(ContentType.objects.filter(app_label="slos", model="slo").values_list("pk", flat=True)) == [moved.pk]
    assert new_apps.get_model("core", "Activity").objects.get(pk=stray.pk).content_type_id == moved.pk
    Permission = new_apps.get_model("auth", "Permission")
    assert sorted(Permission.objects.filter(content_type_id=moved.pk).values_list("codename", flat=True)) == [
        "export_slo", "view_slo"]
    Group = new_apps.get_model("auth", "Group")
    for name in ("SRE", "Auditors"):
        assert [p.codename for p in Group.objects.get(name=name).permissions.all()] == ["view_slo"]


def test_the_move_migrates_back(migrator: Any) -> None:
    """Backwards, the content types return to the slas app and the rows stay where they are."""
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    old = _old_world(old_apps)
    migrator.apply_tested_migration(MOVED)

    back = migrator.apply_tested_migration([("slas", "0005_pause_on"), ("slos", None)]).apps

    ContentType = back.get_model("contenttypes", "ContentType")
    assert not ContentType.objects.filter(app_label="slos").exists()
    for name in MODELS:
        assert ContentType.objects.get(app_label="slas", model=name).pk == old["types"][name]
        assert back.get_model("slas", name).objects.filter(pk=old[name]).exists()
