"""The demo leaves enough ready work for a realistic dispatch day in each region (loaded once for this module)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from opsdesk.demo.context import DemoContext
from opsdesk.demo.context import work_now as demo_now
from opsdesk.demo.dispatch_day import dispatch_day
from opsdesk.people.models import Engineer, EngineerSkill
from opsdesk.workorders.eligibility import WEEKDAYS
from opsdesk.workorders.models import WorkOrder

pytestmark = pytest.mark.usefixtures("demo", "db")
REGIONS = ("EMEA", "AMER", "APAC")
# Ready work per engineer with a shift on the day that the step guarantees (it aims at 3-4).
PER_ENGINEER = 2


def open_blockers(wo: WorkOrder) -> list[dict]:
    return [b for b in (wo.readiness or {}).get("blockers", []) if not b.get("overridden")]


def local(at: dt.datetime, wo: WorkOrder) -> dt.datetime:
    return at.astimezone(ZoneInfo(wo.site.time_zone))


def on_the_day(ctx: DemoContext, region: str, *states: str) -> list[WorkOrder]:
    """The region's work in `states` whose window starts on the dispatch day in its site's time."""
    now = demo_now(ctx)
    qs = WorkOrder.objects.filter(site__region__code=region, state__in=states).select_related("site")
    return [wo for wo in qs.prefetch_related("required_skills") if wo.window_start
            and local(wo.window_start, wo).date() == dispatch_day(now, wo.site.time_zone)]


def on_shift(ctx: DemoContext, region: str) -> list[Engineer]:
    """Active engineers of the region with working hours on the dispatch day's weekday."""
    day = dispatch_day(demo_now(ctx))
    engineers = Engineer.objects.filter(home_region__code=region, active=True)
    return [e for e in engineers if (e.working_hours or {}).get(WEEKDAYS[day.weekday()])]


def test_the_dispatch_day_is_the_next_weekday_in_the_zone() -> None:
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert dispatch_day(monday) == dt.date(2026, 3, 3)
    assert dispatch_day(dt.date(2026, 3, 6)) == dispatch_day(dt.date(2026, 3, 7)) == dt.date(2026, 3, 9)
    thursday_night = dt.datetime(2026, 3, 5, 20, 0, tzinfo=dt.UTC)  # already Friday in Sydney
    assert dispatch_day(thursday_night) == dt.date(2026, 3, 6)
    assert dispatch_day(thursday_night, "Australia/Sydney") == dt.date(2026, 3, 9)


@pytest.mark.parametrize("region", REGIONS)
def test_enough_ready_work_for_the_engineers_on_shift(demo: DemoContext, region: str) -> None:
    engineers = on_shift(demo, region)
    assert len(engineers) >= 10
    assert all(e.base_latitude is not None and e.base_longitude is not None for e in engineers)
    ready = on_the_day(demo, region, "ready")
    assert len(ready) >= PER_ENGINEER * len(engineers), (region, len(ready), len(engineers))
    assert len({wo.site_id for wo in ready}) >= 3  # spread over the region's sites
    for wo in ready:
        assert wo.engineer_id is None  # dispatch assigns
        assert not open_blockers(wo) and not wo.blocked, wo
        assert wo.estimated_minutes and wo.window_end is not None
        assert local(wo.window_end, wo).date() == local(wo.window_start, wo).date()
        assert wo.site.latitude is not None and wo.site.longitude is not None


@pytest.mark.parametrize("region", REGIONS)
def test_the_days_work_looks_like_a_real_day(demo: DemoContext, region: str) -> None:
    ready = on_the_day(demo, region, "ready")
    assert ready
    held = set(EngineerSkill.objects.filter(engineer__home_region__code=region).values_list("skill__code", flat=True))
    for wo in ready:
        start, end = local(wo.window_start, wo), local(wo.window_end, wo)
        assert dt.time(8) <= start.time() <= dt.time(14), wo
        assert dt.timedelta(hours=2) <= end - start <= dt.timedelta(hours=4), wo
        assert 30 <= wo.estimated_minutes <= 120
        assert {s.code for s in wo.required_skills.all()} <= held  # someone in the region can do it
    assert sum(1 for wo in ready if wo.required_skills.all()) >= len(ready) // 2
    priorities = [wo.priority for wo in ready]
    assert max(set(priorities), key=priorities.count) == "p3"


@pytest.mark.parametrize("region", REGIONS)
def test_some_work_waits_on_dispatch_only(demo: DemoContext, region: str) -> None:
    """Work nobody can do (the people blocker) and work partly outside a site's permitted hours
    stay in readiness, with only dispatch's blockers open: the plan reports them unassigned."""
    waiting = on_the_day(demo, region, "readiness")
    dispatch_only = [wo for wo in waiting if open_blockers(wo) and all(b["owner"] == "dispatch" for b in open_blockers(wo))]
    people = [wo for wo in dispatch_only if any(b["kind"] == "people" for b in open_blockers(wo))]
    assert people, region
    assert all(wo.estimated_minutes and wo.site.latitude is not None for wo in people)
    assert any(any(b["kind"] == "permitted_hours" for b in open_blockers(wo)) for wo in dispatch_only), region


@pytest.mark.parametrize("region", REGIONS)
def test_plans_of_the_demo_day_pass_the_checker_and_accept(demo, region, settings) -> None:
    """Each region's day plans soundly: most ready work placed, the rest with a reason, and it can be accepted."""
    from django.contrib.auth import get_user_model

    from opsdesk.core import clock
    from opsdesk.dispatch import services
    from opsdesk.dispatch.answers import plan_answer

    settings.OPSDESK_DISPATCH_SECONDS = 1
    now = demo_now(demo)
    dispatcher = get_user_model().objects.get(username="dispatch")
    ready = on_the_day(demo, region, "ready")
    with clock.frozen(now):
        plan = services.propose_plan(region, dispatch_day(now), actor=dispatcher)
        answer = plan_answer(plan)
        assert answer["checker"] == {"ok": True, "violations": []}
        placed = {s["work_order"] for r in answer["routes"] for s in r["stops"]}
        assert len(placed & {wo.pk for wo in ready}) >= 0.6 * len(ready)
        assert all(u["reason"] for u in answer["unassigned"])
        people = [wo for wo in on_the_day(demo, region, "readiness") if any(b["kind"] == "people" for b in open_blockers(wo))]
        assert {wo.pk for wo in people} <= {u["work_order"] for u in answer["unassigned"]}
        services.accept_plan(plan, actor=dispatcher)
    assert WorkOrder.objects.filter(pk__in=placed, state="dispatched").count() == len(placed)


def test_work_fitting_after_a_freeze_is_not_blocked_and_is_planned_after_it(demo: DemoContext, settings) -> None:
    """WO-35 of the small demo: an hour's work at man-hosp, window 17:00-21:00, the clinic-hours
    freeze until 19:00. Only the permitted-hours blocker (dispatch's) stays; the plan places it after 19:00."""
    from django.contrib.auth import get_user_model

    from opsdesk.core import clock
    from opsdesk.dispatch import services
    from opsdesk.dispatch.answers import plan_answer

    # WO-35 on a fresh database; found by what it is, since ids differ where sequences are not reset.
    (wo,) = [wo for wo in on_the_day(demo, "EMEA", "readiness") if wo.site.code == "man-hosp"
             and any(b["kind"] == "permitted_hours" for b in open_blockers(wo))]
    start, end = local(wo.window_start, wo), local(wo.window_end, wo)
    assert (wo.site.code, start.time(), end.time(), wo.estimated_minutes) == ("man-hosp", dt.time(17), dt.time(21), 60)
    assert [b["kind"] for b in open_blockers(wo)] == ["permitted_hours"]
    assert wo.readiness["notes"] == [
        f"Fits 19:00–21:00 after the freeze 'No change during clinic hours' ({start:%a} {start.day} {start:%b} "
        "07:00–19:00 Europe/London) and inside the site's permitted hours — plan it there."
    ]
    settings.OPSDESK_DISPATCH_SECONDS = 1
    now = demo_now(demo)
    with clock.frozen(now):
        plan = services.propose_plan("EMEA", dispatch_day(now), actor=get_user_model().objects.get(username="dispatch"))
    answer = plan_answer(plan)
    assert answer["checker"] == {"ok": True, "violations": []}
    stop = next(s for r in answer["routes"] for s in r["stops"] if s["work_order"] == wo.pk)
    assert local(dt.datetime.fromisoformat(stop["start"]), wo).time() >= dt.time(19)
    assert local(dt.datetime.fromisoformat(stop["finish"]), wo).time() <= dt.time(21)
