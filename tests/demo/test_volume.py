"""The demo's generated volume of work orders (demo/volume.py), on the small organisation.

Loaded once per module with 4,000 generated work orders (the large demo generates 1,000,000 the
same way; bench/readiness.py loads that).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection, transaction

from opsdesk.core.models import ScheduleEntry
from opsdesk.demo import loader, volume
from opsdesk.demo.context import DemoContext, plan_for
from opsdesk.workorders import rules
from opsdesk.workorders.models import Arrangement, WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries
from tests import factories as f

TODAY = dt.date(2026, 3, 2)
TIME_OF_DAY = dt.time(10, 0)
VOLUME = 4000


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[DemoContext]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield loader.load("small", 1, today=TODAY, time_of_day=TIME_OF_DAY, volume=VOLUME)
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("demo", "db")


def first_generated_id(demo: DemoContext) -> int:
    return WorkOrder.objects.order_by("id").values_list("id", flat=True)[demo.counts["work orders"]]


def test_plans_and_counts(demo: DemoContext) -> None:
    assert plan_for("small").volume == 0 and plan_for("large").volume == 1_000_000
    assert plan_for("large", 5).volume == 5
    with pytest.raises(ValueError, match="between 0 and"):
        plan_for("small", -1)
    assert demo.counts["generated work orders"] == VOLUME
    assert WorkOrder.objects.count() == VOLUME + demo.counts["work orders"] + demo.counts["SLA history work orders"]
    opened = demo.counts["generated open work orders"]
    assert 0.08 * VOLUME < opened < 0.16 * VOLUME


def test_states_history_and_rework(demo: DemoContext) -> None:
    states = Counter(WorkOrder.objects.values_list("state", flat=True))
    for state in ("closed", "verified", "completed", "cancelled", "submitted", "triage", "readiness", "ready",
                  "scheduled", "on_hold", "blocked"):
        assert states[state] > 0, state
    rework = WorkOrder.objects.filter(rework_of__isnull=False).select_related("rework_of")
    assert rework.count() > 10
    for wo in rework:
        assert wo.rework_of.first_time_fix is False
        assert wo.rework_of.site_id == wo.site_id
        assert wo.rework_of.window_end <= wo.window_start
    done_states = ["verified", "closed", "cancelled"]
    assert not WorkOrder.objects.filter(finished=True).exclude(state__in=done_states).exists()
    assert not WorkOrder.objects.filter(finished=False, state__in=done_states).exists()
    finished = WorkOrder.objects.filter(state__in=["closed", "verified", "completed"])
    assert not finished.filter(completed_at__isnull=True).exists()
    assert not finished.filter(first_time_fix__isnull=True).exists()


def test_no_generated_work_is_past_the_gate_with_a_blocker() -> None:
    assert not WorkOrder.objects.filter(state__in=sorted(rules.GATED), blocked=True, overrides__isnull=True).exists()
    assert not WorkOrder.objects.exclude(state__in=sorted(rules.OPEN_STATES)).filter(blocked=True).exists()


def test_stored_readiness_is_what_the_gate_computes(demo: DemoContext) -> None:
    open_work = WorkOrder.objects.filter(state__in=sorted(rules.OPEN_STATES), id__gte=first_generated_id(demo))
    open_work = open_work.order_by("id")
    kinds: Counter[str] = Counter()
    for wo in open_work[:400]:
        result = readiness_queries.evaluate_work_order(wo, dt.datetime.combine(TODAY, dt.time(9), tzinfo=dt.UTC))
        assert wo.blocked == (not result.ready), wo.pk
        assert sorted(b["key"] for b in wo.readiness["blockers"]) == sorted(b.key for b in result.blockers)
        kinds.update(b["kind"] for b in wo.readiness["blockers"])
        assert all(b["rule"] and b["owner"] for b in wo.readiness["blockers"])
    assert {"site_requirement", "people"} <= set(kinds)
    assert Arrangement.objects.filter(state="approved").count() > 100


def test_scheduled_work_occupies_the_schedule_and_new_ids_follow_on() -> None:
    scheduled = WorkOrder.objects.filter(state="scheduled")
    refs = set(ScheduleEntry.objects.filter(kind="visit").values_list("ref", flat=True))
    assert {f"workorders.workorder:{pk}" for pk in scheduled.values_list("id", flat=True)} <= refs
    newest = WorkOrder.objects.order_by("-id").first()
    assert newest is not None
    wo = WorkOrder.objects.create(
        client=newest.client, site=newest.site, category="audit", title="After the volume", owner=f.make_user(),
    )
    assert wo.pk > newest.pk


def test_history_staged_by_a_forked_process_is_the_history_generated_here(
    demo: DemoContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The large demo's history comes from a staging file that a forked process writes (SQLite);
    the rows copied in are the ones the loading process would have generated and written itself."""
    world = volume._World(demo, volume._Writer())
    n, first_id = 700, WorkOrder.objects.order_by("-id").values_list("id", flat=True)[0] + 1
    monkeypatch.setattr(volume, "CHUNK", 300)  # several chunks, one stream
    volume._History(demo, world, n).write(volume._Writer(), first_id + n)  # here: below STAGE_MIN rows
    monkeypatch.setattr(volume, "STAGE_MIN", 1)
    staged = volume._History(demo, world, n)
    assert (staged._process is not None) == (connection.vendor == "sqlite")
    try:
        staged.write(volume._Writer(), first_id)
    finally:
        path = staged.path
        staged.close()
    assert path is None or not os.path.exists(path)

    def rows(first: int) -> tuple[list[list[object]], list[tuple[int, int]]]:
        found = WorkOrder.objects.filter(id__gte=first, id__lt=first + n).order_by("id")
        values = [list(r) for r in found.values_list(*(c.removesuffix("_id") for c in volume.COLUMNS))]
        for r in values:  # ids relative to the first
            r[0] -= first
            r[volume.REWORK] = r[volume.REWORK] and r[volume.REWORK] - first
        services = WorkOrder.services.through.objects.filter(workorder__in=found).values_list("workorder_id", "service_id")
        return values, sorted((w - first, s) for w, s in services)

    staged_rows, staged_services = rows(first_id)
    here_rows, here_services = rows(first_id + n)
    assert len(staged_rows) == n and any(r[volume.REWORK] for r in staged_rows)
    assert staged_rows == here_rows
    assert staged_services == here_services and len(staged_services) > n / 2
