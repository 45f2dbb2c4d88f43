"""The completeness rules and category policies a fresh install starts with (seeded by migration)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from opsdesk.workorders.category_rules import (
    CATEGORY_FIELDS,
    CATEGORY_POLICIES,
    seed_category_rules,
)
from opsdesk.workorders.models import CategoryField, CategoryPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db

migration = importlib.import_module("opsdesk.workorders.migrations.0002_seed_category_rules")


def test_the_migration_seeds_every_category_rule() -> None:
    f.clear_category_rules()
    migration.forwards(apps, None)
    assert set(CategoryField.objects.values_list("category", "key")) == {(d.category, d.key) for d in CATEGORY_FIELDS}
    install = set(CategoryField.objects.filter(category="install").values_list("key", flat=True))
    assert install == {"rack_location", "power_feed", "part_numbers", "site_contact"}
    policies = {p.category: p for p in CategoryPolicy.objects.all()}
    assert set(policies) == set(CATEGORY_POLICIES)
    assert {c for c, p in policies.items() if p.requires_change} == {"install", "decommission"}
    assert all(p.checklist for p in policies.values())


def test_seeding_again_adds_nothing_and_keeps_edits() -> None:
    f.clear_category_rules()
    assert seed_category_rules() == len(CATEGORY_FIELDS) + len(CATEGORY_POLICIES)
    CategoryField.objects.filter(category="install", key="power_feed").update(label="Power feed (edited)")
    CategoryPolicy.objects.filter(category="install").update(requires_change=False)
    CategoryField.objects.filter(category="survey", key="site_contact").delete()
    assert seed_category_rules() == 1  # only the deleted row comes back
    assert CategoryField.objects.get(category="install", key="power_feed").label == "Power feed (edited)"
    assert CategoryPolicy.objects.get(category="install").requires_change is False
