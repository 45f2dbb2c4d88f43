"""The bulk recompute gives exactly the stored rows the per-change recompute gives, and rewrites
only what changed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.core import clock
from opsdesk.core.models import Activity
from opsdesk.slas import bulk
from opsdesk.slas.models import SlaClockState, SlaHistory
from opsdesk.slas.recompute import recompute
from opsdesk.slas.targets import decode_history, encode_history
from opsdesk.workorders import services as work_services
from opsdesk.workorders.models import WorkOrder
from tests.slas.test_clocks import _move, _policy, _work_order, at
from tests.workorders.builders import make, world

pytestmark = pytest.mark.django_db
FIELDS = ("kind", "object_id", "target", "policy_id", "client_id", "site_id", "status", "target_minutes",
          "elapsed_minutes", "due_at", "settled_at", "next_check_at")


def _table():
    return sorted(SlaClockState.objects.values_list(*FIELDS))


def test_bulk_rows_equal_the_per_change_rows_and_a_second_pass_writes_nothing():
    w = world()
    _policy()
    _policy(name="P3 any", level="p3", response_minutes=30, onsite_minutes=None, resolution_minutes=600,
            business_hours=False, pause_states=["on_hold", "blocked"])
    held = _work_order(w)  # response met, on hold
    back = _work_order(w)
    _move(back, "readiness", at(21, 8), w["desk"])
    _move(_work_order(w), "cancelled", at(20, 11), w["desk"])
    late = make(w, "triage", priority="p3", title="Late")
    make(w, "submitted", priority="p4", title="No policy")
    with clock.frozen(at(20, 8)):
        draft = work_services.create_work_order(
            {"client": w["client"].pk, "site": w["site"].pk, "title": "Draft", "priority": "p2", "state": "draft", "category": "audit"},
            actor=w["desk"])
    imported = make(w, "submitted", priority="p3", title="Imported, closed, no history")
    WorkOrder.objects.filter(pk=imported.pk).update(state="closed")
    Activity.objects.filter(content_type=ContentType.objects.get_for_model(WorkOrder), object_id=imported.pk).delete()
    now = at(24, 15)
    with clock.frozen(now):  # every stored clock brought to `now` by the per-change path
        recompute("work_order", [held.pk, back.pk, late.pk, draft.pk, imported.pk])
        recompute("work_order", list(SlaClockState.objects.values_list("object_id", flat=True).distinct()))
    expected = _table()
    assert {r[6] for r in expected} >= {"met", "paused", "breached", "cancelled", "not_started", "unmeasured"}
    assert {r[6] for r in expected if r[1] == imported.pk} == {"unmeasured"}
    SlaClockState.objects.all().delete()
    figures = bulk.recompute_all(processes=2, now=now)  # in a test transaction: runs in this process
    assert figures.processes == 1 and figures.work_orders == 7
    assert _table() == expected
    again = bulk.recompute_all(now=now)
    assert (again.written, again.deleted, again.rows) == (0, 0, len(expected))
    histories = sorted(SlaHistory.objects.values_list("object_id", "entries"))
    assert len(histories) == 7 and histories[0][1].startswith(f'[[{at(20, 9).timestamp()!r},"submitted"],')
    assert all(SlaHistory.objects.values_list("clocks", flat=True))  # each digest now known
    # A change through the services makes the digest unknown again; the bulk path then compares rows.
    _move(back, "on_hold", at(24, 15), w["desk"])
    with clock.frozen(now):
        recompute("work_order", [back.pk])
    assert SlaHistory.objects.get(object_id=back.pk).clocks == ""
    expected = _table()
    assert bulk.recompute_all(now=now).written == 0 and _table() == expected
    # Bulk-loaded work has no compact history: read from the timeline, and the history written.
    SlaHistory.objects.filter(object_id__in=[held.pk, imported.pk]).delete()
    SlaClockState.objects.filter(object_id__in=[held.pk, imported.pk]).delete()
    rebuilt = bulk.recompute_all(now=now)
    assert _table() == expected
    assert rebuilt.written == sum(1 for r in expected if r[1] in (held.pk, imported.pk))
    histories = sorted(SlaHistory.objects.values_list("object_id", "entries"))
    assert {pk for pk, _entries in histories} == set(WorkOrder.objects.values_list("id", flat=True))
    # Rows deleted behind the digests' back come back from the timeline.
    SlaClockState.objects.all().delete()
    assert bulk.recompute_all(now=now).written == 0  # the digests still say all is stored
    from_timeline = bulk.recompute_all(now=now, from_timeline=True)
    assert from_timeline.written == len(expected) and _table() == expected
    assert sorted(SlaHistory.objects.values_list("object_id", "entries")) == histories
    later = bulk.recompute_all(now=now + dt.timedelta(days=3))
    assert later.written > 0  # running clocks moved on


@settings(max_examples=100)
@given(st.lists(st.tuples(st.floats(0, 4e9, allow_nan=False), st.sampled_from(["submitted", "on_hold", "triage"]))))
def test_the_compact_history_round_trips_exactly(history):
    assert [tuple(entry) for entry in decode_history(encode_history(history))] == history
