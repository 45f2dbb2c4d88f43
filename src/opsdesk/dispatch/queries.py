"""Reads for dispatch: a region's day as a planning Problem, and plans as users may see them.

What a day holds (decisions):
- Work at the region's sites whose window starts on the day in the site's own zone.
- To place: `ready` work, and `readiness` work whose open blockers are all dispatch's to clear
  (nobody eligible, the assigned engineer not eligible, permitted hours); `scheduled` work too,
  kept where the accepted plan had it unless it no longer fits.
- Fixed: `dispatched` and in-progress (`en_route`, `on_site`) work keeps its engineer and times
  (the accepted plan's, else its window start; on site since check-in). Dispatched work whose
  engineer is now unavailable then is placed again; in-progress work never moves.
- Left out with a reason: dispatch-owned blockers a plan cannot clear (a change freeze the work
  does not fit around), and sites without coordinates.
- A job's allowed intervals are its window's free intervals: inside the site's permitted hours
  and outside every freeze occurrence (workorders.free_time, expanded in the site's zone); the
  freezes also travel with the job so the checker can name one a visit falls in.
- Engineers: the region's active engineers with a home base; their available hours are their
  weekly working hours starting on the day (in their zone) less their absences.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from opsdesk.core import clock
from opsdesk.core.errors import NotFound, PermissionDenied
from opsdesk.core.queries import id_or_code
from opsdesk.people.models import Engineer
from opsdesk.sites.models import Region
from opsdesk.workorders import eligibility, free_time
from opsdesk.workorders.eligibility import EngineerFacts, WorkFacts
from opsdesk.workorders.models import WorkOrder
from opsdesk.workorders.readiness import queries as readiness_queries

from .models import Plan, PlanStop
from .problem import VALUE_OF_PRIORITY, EngineerDay, FixedStop, Interval, Job, Problem
from .travel import GreatCircle, TravelTimes

TO_PLACE = frozenset({"ready", "readiness", "scheduled"})
FIXED = frozenset({"dispatched", "en_route", "on_site"})
IN_PROGRESS = frozenset({"en_route", "on_site"})
# Blockers owned by dispatch that a plan clears: choosing an eligible engineer, placing the
# visit inside the permitted hours. A freeze is dispatch's too, but no plan can clear it.
CLEARED_BY_PLANNING = frozenset({"people", "engineer", "permitted_hours"})
UTC = dt.UTC


@dataclass
class Day:
    """A region's day, loaded: the problem and what the services need around it."""

    region: Region
    day: dt.date
    problem: Problem
    work: dict[int, WorkOrder]
    engineers: dict[int, Engineer]
    left_out: dict[int, str] = field(default_factory=dict)  # work of the day that cannot be planned, why
    previous: Plan | None = None
    sequences: dict[int, list[int]] = field(default_factory=dict)  # the accepted plan's routes
    reasons_nobody: dict[int, str] = field(default_factory=dict)  # why nobody is eligible, per job


def travel_times_for(region: Region) -> TravelTimes:
    """Travel times in a region: great-circle at its speed (a routing engine's matrix can take over here)."""
    return GreatCircle(region.travel_speed_kmh)


def get_region(value: Any) -> Region:
    """A region by id or code."""
    found = Region.objects.filter(id_or_code(value)).first()
    if found is None:
        raise NotFound(f"No region {str(value).strip()!r}.")
    return found


def _local_day(instant: dt.datetime, time_zone: str) -> dt.date:
    return instant.astimezone(eligibility.zone(time_zone)).date()


def _minus(spans: list[Interval], cuts: list[Interval]) -> list[Interval]:
    out = spans
    for c_lo, c_hi in cuts:
        nxt = []
        for lo, hi in out:
            if c_hi <= lo or c_lo >= hi:
                nxt.append((lo, hi))
                continue
            if lo < c_lo:
                nxt.append((lo, c_lo))
            if c_hi < hi:
                nxt.append((c_hi, hi))
        out = nxt
    return out


def load_day(region: Region, day: dt.date) -> Day:
    """The region's day as a Problem (see the module's decisions)."""
    origin = dt.datetime.combine(day, dt.time(), tzinfo=UTC)
    lo, hi = origin - dt.timedelta(hours=15), origin + dt.timedelta(hours=39)
    candidates = [
        wo for wo in WorkOrder.objects.filter(
            site__region=region, window_start__gte=lo, window_start__lt=hi, state__in=TO_PLACE | FIXED,
        ).select_related("site", "engineer").order_by("window_start", "id")
        if wo.window_start and wo.window_end and _local_day(wo.window_start, wo.site.time_zone) == day
    ]
    engineers = {e.id: e for e in Engineer.objects.filter(home_region=region, active=True).select_related("user").order_by("name", "id")}
    batch = readiness_queries.eligibility_batch(candidates) if candidates else None
    seconds = lambda t: int((t - origin).total_seconds())  # noqa: E731
    days: list[EngineerDay] = []
    for e in engineers.values():
        if e.base_latitude is None or e.base_longitude is None:
            continue
        facts = batch.engineers.get(e.id) if batch else None
        days.append(EngineerDay(e.id, e.name, (e.base_latitude, e.base_longitude), _available(e, facts, day, seconds)))
    available = {d.id: d.available for d in days}
    previous = Plan.objects.filter(region=region, day=day, state=Plan.State.ACCEPTED).first()
    planned: dict[int, PlanStop] = {}
    sequences: dict[int, list[int]] = {}
    if previous is not None:
        for stop in previous.stops.order_by("engineer_id", "position"):
            planned[stop.work_order_id] = stop
            sequences.setdefault(stop.engineer_id, []).append(stop.work_order_id)
    jobs: list[Job] = []
    fixed: list[FixedStop] = []
    left_out: dict[int, str] = {}
    nobody: dict[int, str] = {}
    for wo in candidates:
        site = wo.site
        if site.latitude is None or site.longitude is None:
            left_out[wo.pk] = f"{site.code} has no coordinates"
            continue
        place = (site.latitude, site.longitude)
        if wo.state in FIXED and wo.engineer_id in available:
            start, finish = _fixed_times(wo, planned.get(wo.pk))
            s, f = seconds(start), seconds(finish)
            inside = any(a <= s and f <= b for a, b in available[wo.engineer_id])
            if wo.state in IN_PROGRESS or inside:
                fixed.append(FixedStop(wo.pk, wo.engineer_id, wo.site_id, place, s, f, f"WO-{wo.pk} {wo.title}"))
                continue
        elif wo.state in FIXED and wo.state in IN_PROGRESS:
            continue  # in progress with an engineer of another region: not this plan's to move
        if wo.state == "readiness":
            open_blockers = [b for b in (wo.readiness or {}).get("blockers", []) if not b.get("overridden")]
            if any(b.get("owner") != "dispatch" for b in open_blockers):
                continue  # not ready: not dispatch's yet
            stuck = [b for b in open_blockers if b.get("kind") not in CLEARED_BY_PLANNING]
            if stuck:
                left_out[wo.pk] = stuck[0].get("detail", "blocked")
                continue
        assert batch is not None
        work = batch.work_facts(wo)
        eligible, why = _eligible(batch, work, engineers)
        if not eligible:
            nobody[wo.pk] = why
        window = (seconds(wo.window_start), seconds(wo.window_end))
        allowed, freezes = _allowed(batch, wo, seconds)
        jobs.append(Job(
            wo.pk, wo.site_id, place, wo.estimated_minutes * 60, tuple(allowed), frozenset(eligible),
            VALUE_OF_PRIORITY.get(wo.priority.upper(), VALUE_OF_PRIORITY["P3"]), window, f"WO-{wo.pk} {wo.title}",
            tuple(freezes),
        ))
    problem = Problem(origin, tuple(jobs), tuple(days), travel_times_for(region), tuple(fixed))
    by_id = {wo.pk: wo for wo in candidates}
    return Day(region, day, problem, by_id, engineers, left_out, previous, sequences, nobody)


def _available(engineer: Engineer, facts: EngineerFacts | None, day: dt.date, seconds: Any) -> tuple[Interval, ...]:
    tz = eligibility.zone(engineer.time_zone or "UTC")
    start = dt.datetime.combine(day, dt.time(), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=tz).astimezone(UTC)
    spans = [
        (seconds(a), seconds(b))
        for a, b in eligibility.stretches(engineer.working_hours or {}, engineer.time_zone or "UTC", start, end)
        if start <= a < end
    ]
    absences = facts.absences if facts is not None else ()
    return tuple(_minus(spans, [(seconds(a.start_at), seconds(a.end_at)) for a in absences]))


def _fixed_times(wo: WorkOrder, stop: PlanStop | None) -> tuple[dt.datetime, dt.datetime]:
    duration = dt.timedelta(minutes=wo.estimated_minutes)
    if wo.state == "on_site" and wo.checked_in_at is not None:
        planned_end = stop.finish_at if stop is not None else wo.checked_in_at + duration
        return wo.checked_in_at, max(planned_end, wo.checked_in_at + duration, clock.now())
    if stop is not None:
        return stop.start_at, stop.finish_at
    assert wo.window_start is not None
    return wo.window_start, wo.window_start + duration


def _eligible(batch: Any, work: WorkFacts, engineers: dict[int, Engineer]) -> tuple[list[int], str]:
    """The region's engineers whose skills, certifications and access allow the work on its day; else the commonest reasons."""
    out, why = [], Counter[str]()
    for eid in engineers:
        facts = batch.engineers.get(eid)
        if facts is None:
            continue
        reasons = eligibility.standing_reasons(facts, work)
        if reasons:
            why.update(reasons)
        else:
            out.append(eid)
    summary = "; ".join(f"{reason} ({n})" for reason, n in why.most_common(3))
    return out, summary


def _allowed(batch: Any, wo: WorkOrder, seconds: Any) -> tuple[list[Interval], list[tuple[int, int, str]]]:
    """Where the visit may lie: the window's free intervals (inside each applicable permitted-hours
    rule of the site, outside every freeze; workorders.free_time), and the freezes it must avoid."""
    assert wo.window_start is not None and wo.window_end is not None
    permitted = [
        eligibility.stretches(req.permitted_hours, wo.site.time_zone, wo.window_start, wo.window_end)
        for req in batch.applicable(wo.site_id, wo.category)
        if req.kind == "permitted_hours" and req.permitted_hours
    ]
    closures = batch.closures(wo)
    free = free_time.free_intervals(
        wo.window_start, wo.window_end, permitted=permitted, closed=[(c.start, c.end) for c in closures],
    )
    freezes = [(seconds(c.start), seconds(c.end), c.name) for c in closures]
    return [(seconds(a), seconds(b)) for a, b in free], freezes


# -- plans as users see them -----------------------------------------------------------------


def _staff(user: Any) -> None:
    if getattr(user, "is_client_user", False):
        raise PermissionDenied("Dispatch plans are for the provider's staff.")


def list_plans(user: Any, *, region: Any = None, day: dt.date | None = None, state: str | None = None) -> QuerySet[Plan]:
    """Plans, newest first, by region, day and state (each with its number of stops, `stop_count`)."""
    _staff(user)
    qs = Plan.objects.select_related("region").annotate(stop_count=Count("stops")).order_by("-id")
    if region not in (None, ""):
        qs = qs.filter(region=get_region(region))
    if day is not None:
        qs = qs.filter(day=day)
    if state:
        qs = qs.filter(state=state)
    return qs


def get_plan(user: Any, plan_id: int) -> Plan:
    """One plan (staff only; clients are told it does not exist)."""
    if getattr(user, "is_client_user", False):
        raise NotFound(f"No plan {plan_id}.")
    found = Plan.objects.select_related("region").filter(pk=plan_id).first()
    if found is None:
        raise NotFound(f"No plan {plan_id}.")
    return found


def stops_of(plan: Plan) -> list[PlanStop]:
    """The plan's stops by engineer and position, with their work order, site and engineer."""
    return list(plan.stops.select_related("work_order", "work_order__site", "engineer").order_by("engineer__name", "engineer_id", "position"))


def engineer_stops(engineer: Engineer, since: dt.datetime) -> list[PlanStop]:
    """An engineer's stops in accepted plans from `since` on (their calendar)."""
    return list(PlanStop.objects.filter(
        engineer=engineer, plan__state=Plan.State.ACCEPTED, finish_at__gte=since,
    ).select_related("work_order", "work_order__site", "plan").order_by("start_at"))
