"""Page-shaped reads for the dispatch board: a plan answer laid out on a day's time axis.

Positions are computed here, server-side, as percentages of the axis, so the template only
places blocks and the board works without JS. The axis is 06:00–20:00 in one zone (the zone most
of the region's sites share, or the one chosen), widened to whole hours when a visit (with its
travel) falls outside it (a region spanning zones, a night visit); available hours are clipped to
it. Each visit also names its site's local time when the site is in another zone.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.core import clock
from opsdesk.people.models import Engineer
from opsdesk.sites.models import Region, Site
from opsdesk.workorders import eligibility
from opsdesk.workorders.models import WorkOrder

from . import queries
from .answers import plan_answer
from .models import Plan

AXIS_START, AXIS_END = 6, 20  # local hours shown on the board
DAY = dt.timedelta(days=1)


def regions() -> list[Region]:
    """Regions to choose from, by code."""
    return list(Region.objects.order_by("code"))


def default_region() -> Region | None:
    """The first region."""
    return Region.objects.order_by("code").first()


def zones_of(region: Region) -> list[str]:
    """The zones of the region's sites, the commonest first (UTC when it has no sites)."""
    counts = Counter(Site.objects.filter(region=region).values_list("time_zone", flat=True))
    return [z for z, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))] or ["UTC"]


def zone_of(region: Region, wanted: str | None = None) -> str:
    """The board's zone: `wanted` when it is one of the region's sites' zones, else the commonest."""
    zones = zones_of(region)
    return wanted if wanted in zones else zones[0]


def default_day(time_zone: str) -> dt.date:
    """The next weekday after today (the day dispatch usually plans). Today is the later of the
    zone's date and the UTC date, as the demo's dispatch day counts it: in the Americas' evening the
    next UTC day has begun and its work is already the next day's plan."""
    now = clock.now()
    day = max(now.astimezone(eligibility.zone(time_zone)).date(), now.astimezone(dt.UTC).date()) + DAY
    while day.weekday() >= 5:
        day += DAY
    return day


def parse_day(value: str | None, time_zone: str) -> dt.date:
    """YYYY-MM-DD, else the default day."""
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return default_day(time_zone)


def plans_of_day(user: Any, region: Region, day: dt.date) -> list[Plan]:
    """The day's plans, newest first."""
    return list(queries.list_plans(user, region=region.pk, day=day))


def latest_plan(plans: list[Plan]) -> Plan | None:
    """The accepted plan of the day, else the newest proposed one."""
    accepted = [p for p in plans if p.state == Plan.State.ACCEPTED]
    if accepted:
        return accepted[0]
    proposed = [p for p in plans if p.state == Plan.State.PROPOSED]
    return proposed[0] if proposed else None


def region_engineers(region: Region) -> list[Engineer]:
    """Engineers a stop may be moved to: the region's active engineers with a home base."""
    return list(Engineer.objects.filter(
        home_region=region, active=True, base_latitude__isnull=False, base_longitude__isnull=False,
    ).order_by("name", "id"))


@dataclass
class Block:
    """One stop placed on the axis."""

    work_order: WorkOrder | None
    work_order_id: int
    engineer_id: int
    position: int
    arrival: str
    start: str
    finish: str
    travel_minutes: int
    fixed: bool
    site_local: str
    left: float
    width: float
    travel_left: float
    travel_width: float


@dataclass
class Row:
    """One engineer's line of the board."""

    engineer_id: int
    name: str
    travel_minutes: int
    departure: str
    back: str
    shifts: list[dict[str, Any]] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Board:
    """A plan answer laid out for the page."""

    answer: dict[str, Any]
    rows: list[Row]
    unassigned: list[dict[str, Any]]
    moved: list[dict[str, Any]]
    violations: list[dict[str, Any]]
    hours: list[dict[str, Any]]
    work: dict[int, WorkOrder]
    axis_label: str


class Axis:
    """Local times of one day mapped to percentages of AXIS_START–AXIS_END, widened to whole
    hours to take in `moments` (at most a day either side)."""

    def __init__(self, day: dt.date, time_zone: str, moments: list[dt.datetime] | None = None) -> None:
        self.zone: ZoneInfo = eligibility.zone(time_zone)
        self.start = dt.datetime.combine(day, dt.time(AXIS_START), tzinfo=self.zone)
        self.end = dt.datetime.combine(day, dt.time(AXIS_END), tzinfo=self.zone)
        if moments:
            lo = max(min(moments).astimezone(self.zone), self.start - DAY)
            hi = min(max(moments).astimezone(self.zone), self.end + DAY)
            if lo < self.start:
                self.start = lo.replace(minute=0, second=0, microsecond=0)
            if hi > self.end:
                top = hi.replace(minute=0, second=0, microsecond=0)
                self.end = top if top == hi else top + dt.timedelta(hours=1)
        self.span = (self.end - self.start).total_seconds()
        self.day = day

    def pct(self, when: dt.datetime) -> float:
        return max(0.0, min(100.0, (when - self.start).total_seconds() / self.span * 100))

    def local(self, when: dt.datetime | str | None) -> str:
        if not when:
            return ""
        moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
        local = moment.astimezone(self.zone)
        return f"{local:%H:%M}" if local.date() == self.day else f"{local:%a %H:%M}"

    def hours(self) -> list[dict[str, Any]]:
        """Hour ticks (every second hour on a long axis)."""
        step = 1 if self.span <= 16 * 3600 else 2
        out, tick = [], self.start
        while tick <= self.end:
            left = self.pct(tick)
            out.append({"label": self.local(tick), "left": left, "edge": "start" if left <= 0 else "end" if left >= 99.9 else ""})
            tick += dt.timedelta(hours=step)
        return out


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def board(plan: Plan, time_zone: str) -> Board:
    """The plan (or an unsaved preview of a move) on the axis of its day."""
    answer = plan_answer(plan)
    moments = [_when(t) for r in answer["routes"] for s in r["stops"] for t in (s["start"], s["finish"])]
    moments += [_when(s["arrival"]) - dt.timedelta(minutes=s["travel_minutes"]) for r in answer["routes"] for s in r["stops"]]
    axis = Axis(plan.day, time_zone, moments)
    ids = {s["work_order"] for r in answer["routes"] for s in r["stops"]}
    ids |= {u["work_order"] for u in answer["unassigned"]} | {m["work_order"] for m in answer["moved"]}
    work = {wo.pk: wo for wo in WorkOrder.objects.filter(pk__in=ids).select_related("site")}
    names = {r["engineer"]: r["name"] for r in answer["routes"]}
    rows = []
    for route in answer["routes"]:
        row = Row(route["engineer"], route["name"], route["travel_minutes"], axis.local(route["departure"]), axis.local(route["back"]))
        for lo, hi in route["available"]:
            left, right = axis.pct(_when(lo)), axis.pct(_when(hi))
            if right > left:
                row.shifts.append({"left": left, "width": right - left, "label": f"{axis.local(lo)}–{axis.local(hi)}"})
        for i, stop in enumerate(route["stops"]):
            arrival, start, finish = _when(stop["arrival"]), _when(stop["start"]), _when(stop["finish"])
            left = axis.pct(start)
            wo = work.get(stop["work_order"])
            site_zone = wo.site.time_zone if wo is not None else time_zone
            site_local = "" if site_zone == time_zone else (
                f"{start.astimezone(eligibility.zone(site_zone)):%H:%M}–{finish.astimezone(eligibility.zone(site_zone)):%H:%M} {site_zone}")
            travel_from = axis.pct(arrival - dt.timedelta(minutes=stop["travel_minutes"]))
            row.blocks.append(Block(
                wo, stop["work_order"], route["engineer"], i, axis.local(arrival),
                axis.local(start), axis.local(finish), stop["travel_minutes"], stop["fixed"], site_local,
                left, max(axis.pct(finish) - left, 0.6), travel_from, max(axis.pct(arrival) - travel_from, 0.0),
            ))
        rows.append(row)
    unassigned = [{**u, "wo": work.get(u["work_order"])} for u in answer["unassigned"]]
    moved = [
        {**m, "wo": work.get(m["work_order"]), "from_name": names.get(m["from_engineer"], m["from_engineer"]),
         "to_name": names.get(m["to_engineer"], m["to_engineer"]),
         "from_time": axis.local(m["from_start"]), "to_time": axis.local(m["to_start"])}
        for m in answer["moved"]
    ]
    violations = [{**v, "engineer_name": names.get(v.get("engineer"), v.get("engineer"))} for v in answer["checker"]["violations"]]
    label = f"{axis.local(axis.start)}–{axis.local(axis.end)}"
    return Board(answer, rows, unassigned, moved, violations, axis.hours(), work, label)
