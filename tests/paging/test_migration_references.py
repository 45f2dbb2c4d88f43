"""A database from before paging's references were foreign keys migrates without losing one: a
step's schedule or person and a contact method's endpoint are kept; a dangling id is cleared."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("paging", "0001_initial"), ("oncall", "0001_initial"), ("channels", "0001_initial")]
AFTER = [("paging", "0002_references_are_foreign_keys")]


def test_references_survive_the_move_to_foreign_keys(migrator: Any) -> None:
    old = migrator.apply_initial_migration(BEFORE).apps
    User = old.get_model("accounts", "User")
    alice = User.objects.create(username="alice", email="alice@example.test")
    schedule = old.get_model("oncall", "Schedule").objects.create(name="EPR 24x7", time_zone="Europe/London")
    endpoint = old.get_model("channels", "Endpoint").objects.create(name="Pager", url="https://pager.example/hook")
    policy = old.get_model("paging", "EscalationPolicy").objects.create(name="Default", is_default=True)
    Step = old.get_model("paging", "EscalationStep")
    Step.objects.create(policy=policy, position=0, target_kind="schedule", target_ref=schedule.pk)
    Step.objects.create(policy=policy, position=1, target_kind="person", target_ref=alice.pk)
    Step.objects.create(policy=policy, position=2, target_kind="schedule", target_ref=schedule.pk + 100)
    Step.objects.create(policy=policy, position=3, target_kind="team", team="EPR")
    Method = old.get_model("paging", "ContactMethod")
    kept = Method.objects.create(person=alice, kind="webhook", endpoint_id=endpoint.pk)
    dangling = Method.objects.create(person=alice, kind="webhook", endpoint_id=endpoint.pk + 100)

    new = migrator.apply_tested_migration(AFTER).apps

    steps = new.get_model("paging", "EscalationStep").objects.order_by("position")
    assert [(s.target_kind, s.schedule_id, s.person_id, s.team) for s in steps] == [
        ("schedule", schedule.pk, None, ""), ("person", None, alice.pk, ""), ("schedule", None, None, ""),
        ("team", None, None, "EPR")]
    methods = new.get_model("paging", "ContactMethod").objects
    assert methods.get(pk=kept.pk).endpoint_id == endpoint.pk
    assert methods.get(pk=dangling.pk).endpoint_id is None
