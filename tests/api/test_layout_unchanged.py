"""Moving code between packages changes nothing a client sees: every API operation and every URL
route written down in tests/api/snapshots/ (before issue 18's reorganisation) is served exactly as
it was. New operations and routes may be added; none may change or disappear."""

from __future__ import annotations

import json

import pytest

from tests.api import layout_snapshot

pytestmark = pytest.mark.django_db


def test_every_recorded_operation_is_served_unchanged() -> None:
    before = layout_snapshot.operations(json.loads(layout_snapshot.DOCUMENT.read_text()))
    after = layout_snapshot.operations(layout_snapshot.served_document())
    missing = sorted(set(before) - set(after))
    assert not missing, f"operations no longer served: {missing}"
    changed = [key for key in before if before[key] != after[key]]
    assert not changed, f"operations whose definition changed: {changed}"


def test_every_recorded_route_keeps_its_name_and_path() -> None:
    before = json.loads(layout_snapshot.ROUTES.read_text())
    after = layout_snapshot.routes()
    moved = {name: (route, after.get(name)) for name, route in before.items() if after.get(name) != route}
    assert not moved, f"routes renamed or moved (name: (before, after)): {moved}"


def test_the_comparison_sees_a_change() -> None:
    """The operation comparison resolves $refs, so a changed field inside a schema is a change."""
    doc = layout_snapshot.served_document()
    before = layout_snapshot.operations(doc)
    name = "SiteOut"  # answered by GET /api/v1/sites/{obj_id}
    schema = doc["components"]["schemas"][name]
    schema.setdefault("properties", {})["surprise"] = {"type": "string"}
    after = layout_snapshot.operations(doc)
    assert before["GET /api/v1/sites/{obj_id}"] != after["GET /api/v1/sites/{obj_id}"]
