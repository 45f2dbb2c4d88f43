"""A database from before issue 18 (postmortems, action items and problems in the incidents app)
migrates to the learning app without losing a row: the tables stay, Incident.problem keeps its
column and now names learning.Problem, and the content types move with the models, so the
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
    ("sites", "0001_initial"),
    ("changes", "0001_initial"),
    ("alerts", "0006_heartbeats"),
    ("core", "0003_audit_event"),
    ("incidents", "0003_reopened_relation"),
]
MOVED = [("learning", "0002_content_types"), ("incidents", "0004_learning_moved_out")]
MODELS = ("problem", "postmortem", "actionitem")
AT = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _old_world(apps: StateApps) -> dict[str, Any]:
    """A problem of two clients with two incidents, a postmortem with an action item, all through the
    incidents app's models, each moved object with a timeline entry."""
    Client = apps.get_model("tenancy", "Client")
    Service = apps.get_model("services", "Service")
    User = apps.get_model("accounts", "User")
    Incident = apps.get_model("incidents", "Incident")
    Problem = apps.get_model("incidents", "Problem")
    Postmortem = apps.get_model("incidents", "Postmortem")
    ActionItem = apps.get_model("incidents", "ActionItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    Activity = apps.get_model("core", "Activity")
    north = Client.objects.create(code="northgate", name="Northgate Health")
    meridian = Client.objects.create(code="meridian", name="Meridian Markets")
    service = Service.objects.create(client=north, code="lan", name="Hospital LAN")
    alice = User.objects.create(username="alice")
    bob = User.objects.create(username="bob")
    problem = Problem.objects.create(title="Ward 7 Wi-Fi flaps", service=service, signature="WifiApDown",
                                     state="known_error", known_error="Switch firmware", workaround="Power cycle",
                                     owner=alice)
    problem.clients.set([north, meridian])
    incidents = [
        Incident.objects.create(title=f"Wi-Fi down {n}", owner=alice, started_at=AT, detected_at=AT,
                                state="resolved", signature="WifiApDown", problem=problem)
        for n in (1, 2)
    ]
    pm = Postmortem.objects.create(incident=incidents[0], owner=bob, state="in_review", summary="It flapped",
                                   contributing_factors="Old firmware")
    action = ActionItem.objects.create(postmortem=pm, title="Upgrade the firmware", owner=alice,
                                       due_on=dt.date(2026, 12, 10), state="in_progress",
                                       overdue_notified_on=dt.date(2026, 12, 11))
    objects = {"problem": problem, "postmortem": pm, "actionitem": action}
    types = {name: ContentType.objects.get_or_create(app_label="incidents", model=name)[0] for name in MODELS}
    for name, obj in objects.items():
        Activity.objects.create(at=AT, actor_label="alice", content_type=types[name], object_id=obj.pk,
                                verb="created", summary=f"{name} {obj.pk}")
    return {"clients": sorted([north.pk, meridian.pk]), "service": service.pk, "alice": alice.pk, "bob": bob.pk,
            "incidents": [i.pk for i in incidents], "types": {n: t.pk for n, t in types.items()},
            **{name: obj.pk for name, obj in objects.items()}}


def _grant(apps: StateApps, content_type: Any, group_name: str) -> None:
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    perm, _ = Permission.objects.get_or_create(content_type=content_type, codename="view_problem",
                                               defaults={"name": "Can view problem"})
    Group.objects.create(name=group_name).permissions.add(perm)


def _assert_moved(apps: StateApps, old: dict[str, Any]) -> None:
    """Every row is read through the learning models, with its fields, keys and clients as they were."""
    problem = apps.get_model("learning", "Problem").objects.get(pk=old["problem"])
    assert (problem.title, problem.service_id, problem.signature, problem.state, problem.owner_id) == (
        "Ward 7 Wi-Fi flaps", old["service"], "WifiApDown", "known_error", old["alice"])
    assert (problem.known_error, problem.workaround) == ("Switch firmware", "Power cycle")
    assert sorted(problem.clients.values_list("pk", flat=True)) == old["clients"]
    assert sorted(problem.incidents.values_list("pk", flat=True)) == old["incidents"]
    Incident = apps.get_model("incidents", "Incident")
    linked = Incident.objects.select_related("problem").get(pk=old["incidents"][1])
    assert (linked.problem_id, linked.problem.title) == (old["problem"], "Ward 7 Wi-Fi flaps")
    pm = apps.get_model("learning", "Postmortem").objects.get(pk=old["postmortem"])
    assert (pm.incident_id, pm.owner_id, pm.state, pm.summary, pm.contributing_factors) == (
        old["incidents"][0], old["bob"], "in_review", "It flapped", "Old firmware")
    assert Incident.objects.get(pk=old["incidents"][0]).postmortem.pk == pm.pk
    action = apps.get_model("learning", "ActionItem").objects.get(pk=old["actionitem"])
    assert (action.postmortem_id, action.title, action.owner_id, action.state) == (
        pm.pk, "Upgrade the firmware", old["alice"], "in_progress")
    assert (action.due_on, action.overdue_notified_on) == (dt.date(2026, 12, 10), dt.date(2026, 12, 11))
    assert list(pm.actions.values_list("pk", flat=True)) == [action.pk]


def _assert_timeline_follows(apps: StateApps, old: dict[str, Any]) -> None:
    """Each entry resolves, through the content type of the learning model, to the moved object."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Activity = apps.get_model("core", "Activity")
    assert not ContentType.objects.filter(app_label="incidents", model__in=MODELS).exists()
    for name in MODELS:
        content_type = ContentType.objects.get(app_label="learning", model=name)
        assert content_type.pk == old["types"][name]  # relabelled in place: every reference holds
        entry = Activity.objects.get(content_type=content_type, object_id=old[name], verb="created")
        assert entry.summary == f"{name} {old[name]}"
        assert apps.get_model("learning", name).objects.get(pk=entry.object_id).pk == old[name]


def test_rows_and_timeline_follow_the_models_to_the_learning_app(migrator: Any) -> None:
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    assert not MigrationRecorder.Migration.objects.filter(app="learning").exists()  # truly the old layout
    old = _old_world(old_apps)
    LogEntry = old_apps.get_model("admin", "LogEntry")
    LogEntry.objects.create(user_id=old["alice"], content_type_id=old["types"]["problem"],
                            object_id=str(old["problem"]), object_repr="Ward 7 Wi-Fi flaps", action_flag=2,
                            change_message="[]", action_time=AT)
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    _grant(old_apps, ContentType.objects.get(pk=old["types"]["problem"]), "Problem managers")

    new_apps = migrator.apply_tested_migration(MOVED).apps

    _assert_moved(new_apps, old)
    _assert_timeline_follows(new_apps, old)
    entry = new_apps.get_model("admin", "LogEntry").objects.get()
    assert (entry.content_type.app_label, entry.content_type.model, entry.object_id) == (
        "learning", "problem", str(old["problem"]))
    group = new_apps.get_model("auth", "Group").objects.get(name="Problem managers")
    assert [(p.content_type.app_label, p.codename) for p in group.permissions.all()] == [("learning", "view_problem")]


def test_a_content_type_already_made_for_the_learning_app_is_merged_into_the_moved_one(migrator: Any) -> None:
    """post_migrate may have made learning.problem already: the moved type, which the timeline points
    at, is kept; the duplicate's grants and entries move onto it."""
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    old = _old_world(old_apps)
    ContentType = old_apps.get_model("contenttypes", "ContentType")
    Activity = old_apps.get_model("core", "Activity")
    moved = ContentType.objects.get(pk=old["types"]["problem"])
    duplicate = ContentType.objects.create(app_label="learning", model="problem")
    _grant(old_apps, moved, "Problem managers")
    _grant(old_apps, duplicate, "Auditors")
    old_apps.get_model("auth", "Permission").objects.create(content_type=duplicate, codename="export_problem",
                                                           name="Can export problem")
    stray = Activity.objects.create(at=AT, actor_label="bob", content_type=duplicate, object_id=old["problem"],
                                    verb="updated", summary="after post_migrate")

    new_apps = migrator.apply_tested_migration(MOVED).apps

    _assert_moved(new_apps, old)
    _assert_timeline_follows(new_apps, old)
    ContentType = new_apps.get_model("contenttypes", "ContentType")
    assert list(ContentType.objects.filter(app_label="learning", model="problem").values_list("pk", flat=True)) == [
        moved.pk]
    assert new_apps.get_model("core", "Activity").objects.get(pk=stray.pk).content_type_id == moved.pk
    Permission = new_apps.get_model("auth", "Permission")
    assert sorted(Permission.objects.filter(content_type_id=moved.pk).values_list("codename", flat=True)) == [
        "export_problem", "view_problem"]
    Group = new_apps.get_model("auth", "Group")
    for name in ("Problem managers", "Auditors"):
        assert [p.codename for p in Group.objects.get(name=name).permissions.all()] == ["view_problem"]


def test_the_move_migrates_back(migrator: Any) -> None:
    """Backwards, the content types return to the incidents app and the rows stay where they are."""
    old_apps = migrator.apply_initial_migration(PREVIOUS).apps
    old = _old_world(old_apps)
    migrator.apply_tested_migration(MOVED)

    back = migrator.apply_tested_migration([("incidents", "0003_reopened_relation"), ("learning", None)]).apps

    ContentType = back.get_model("contenttypes", "ContentType")
    assert not ContentType.objects.filter(app_label="learning").exists()
    for name in MODELS:
        assert ContentType.objects.get(app_label="incidents", model=name).pk == old["types"][name]
        assert back.get_model("incidents", name).objects.filter(pk=old[name]).exists()
    assert back.get_model("incidents", "Incident").objects.get(pk=old["incidents"][0]).problem_id == old["problem"]
