"""Pure risk assessment of a change, explained component by component.

Every component is always present (with 0 points when it adds nothing) so the explanation is
complete. Points (score 0..~200):

| component | points |
|---|---|
| criticality | highest criticality among the affected services: low 0, medium 5, high 15, critical 25 |
| downstream_criticality | highest criticality among the services that depend on them (transitively): 0/3/10/15 |
| blast_radius | 3 per site beyond the first + 5 per client beyond the first + 2 per service (incl. downstream) beyond the first, at most 20 |
| failure_history | share of similar implemented changes (same service or type) that failed, rolled back or caused an incident x 20 |
| business_hours | 15 when the window overlaps business hours of any affected site (its zone, hours and holidays) |
| rollback | no plan (normal/emergency): 15; rollback longer than the whole window: 20; longer than half of it: 10 |
| verification | 10 when there is no verification plan |
| collisions | 5 per colliding planned change or visit, at most 20 |
| windows | 20 when the window is outside an allowed window or inside a freeze at any site |
| emergency | 15 for an emergency change (less time to prepare and review) |

Levels: score below 25 is low, 25 to 49 medium, 50 or more high.
The rollback rule reads "a rollback plan that takes longer than the window leaves": if the work
takes at least half of the window, a rollback longer than half of it no longer fits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import ZoneInfo

from opsdesk.sites.rules import WEEKDAYS, BusinessHours, is_holiday

MEDIUM_FROM = 25
HIGH_FROM = 50
CRITICALITY_POINTS = {1: 0, 2: 5, 3: 15, 4: 25}
DOWNSTREAM_POINTS = {1: 0, 2: 3, 3: 10, 4: 15}
CRITICALITY_NAMES = {1: "low", 2: "medium", 3: "high", 4: "critical"}
BLAST_MAX = 20
HISTORY_MAX = 20
BUSINESS_HOURS_POINTS = 15
NO_ROLLBACK_POINTS = 15
ROLLBACK_OVER_HALF_POINTS = 10
ROLLBACK_OVER_WINDOW_POINTS = 20
NO_VERIFICATION_POINTS = 10
COLLISION_POINTS, COLLISIONS_MAX = 5, 20
WINDOW_VIOLATION_POINTS = 20
EMERGENCY_POINTS = 15


@dataclass(frozen=True)
class ServiceFact:
    """An affected (or downstream) service as risk sees it."""

    id: int
    name: str
    criticality: int


@dataclass(frozen=True)
class BusinessHoursHit:
    """Part of the window that falls in a site's business hours, in the site's local time."""

    site_code: str
    time_zone: str
    local_start: dt.datetime
    local_end: dt.datetime


@dataclass(frozen=True)
class RiskInputs:
    """Everything risk needs, as plain data (gathered by queries.risk_inputs)."""

    change_type: str
    services: tuple[ServiceFact, ...] = ()
    downstream: tuple[ServiceFact, ...] = ()  # dependants that are not themselves affected
    site_codes: tuple[str, ...] = ()
    client_names: tuple[str, ...] = ()
    window_minutes: int = 60
    rollback_minutes: int | None = None
    has_verification_plan: bool = True
    similar_implemented: int = 0
    similar_failed: int = 0
    business_hours: tuple[BusinessHoursHit, ...] = ()
    collisions: tuple[str, ...] = ()  # one line per collision
    collision_refs: tuple[str, ...] = ()  # the colliding work's schedule reference, line by line
    violations: tuple[str, ...] = ()  # one detail per window/freeze violation


@dataclass(frozen=True)
class Component:
    """One part of the score, with a plain explanation."""

    name: str
    points: int
    detail: str
    # What the detail names, part by part ({"ref", "text"}), so each reader's client view can say it
    # without what that reader may not see (collisions name other work).
    parts: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Assessment:
    """The level, the score and its parts."""

    level: str
    score: int
    components: tuple[Component, ...]

    def as_dict(self) -> dict[str, Any]:
        """The stored and API form: {"level", "score", "components": [{"name", "points", "detail"}]}."""
        return {"level": self.level, "score": self.score, "components": [_plain(c) for c in self.components]}

    def points(self, name: str) -> int:
        """Points of one component (0 if absent)."""
        return next((c.points for c in self.components if c.name == name), 0)


def _plain(component: Component) -> dict[str, Any]:
    out = asdict(component)
    out["parts"] = list(component.parts)
    if not out["parts"]:
        del out["parts"]
    return out


def level_for(score: int) -> str:
    """low below 25, medium below 50, high from 50."""
    if score >= HIGH_FROM:
        return "high"
    return "medium" if score >= MEDIUM_FROM else "low"


def assess(i: RiskInputs) -> Assessment:
    """Score a change and explain every part."""
    parts = (
        _criticality(i), _downstream(i), _blast_radius(i), _history(i), _business_hours(i),
        _rollback(i), _verification(i), _collisions(i), _windows(i), _emergency(i),
    )
    score = sum(c.points for c in parts)
    return Assessment(level=level_for(score), score=score, components=parts)


def _worst(services: tuple[ServiceFact, ...]) -> ServiceFact | None:
    return max(services, key=lambda s: (s.criticality, s.name), default=None)


def _criticality(i: RiskInputs) -> Component:
    worst = _worst(i.services)
    if worst is None:
        return Component("criticality", 0, "No services are affected.")
    return Component(
        "criticality", CRITICALITY_POINTS.get(worst.criticality, 0),
        f"Most critical affected service: {worst.name} ({CRITICALITY_NAMES.get(worst.criticality, '?')}).",
    )


def _downstream(i: RiskInputs) -> Component:
    worst = _worst(i.downstream)
    if worst is None:
        return Component("downstream_criticality", 0, "Nothing else depends on the affected services.")
    return Component(
        "downstream_criticality", DOWNSTREAM_POINTS.get(worst.criticality, 0),
        f"{len(i.downstream)} service(s) depend on the affected ones; the most critical is "
        f"{worst.name} ({CRITICALITY_NAMES.get(worst.criticality, '?')}).",
    )


def _blast_radius(i: RiskInputs) -> Component:
    sites, clients = len(i.site_codes), len(i.client_names)
    services = len(i.services) + len(i.downstream)
    points = 3 * max(0, sites - 1) + 5 * max(0, clients - 1) + 2 * max(0, services - 1)
    site_text = f" ({', '.join(i.site_codes)})" if i.site_codes else ""
    client_text = f" ({', '.join(i.client_names)})" if i.client_names else ""
    return Component(
        "blast_radius", min(BLAST_MAX, points),
        f"{sites} site(s){site_text}, {clients} client(s){client_text}, "
        f"{services} service(s) including {len(i.downstream)} downstream.",
    )


def _history(i: RiskInputs) -> Component:
    n, k = i.similar_implemented, i.similar_failed
    if n <= 0:
        return Component("failure_history", 0, "No similar change (same service or type) has been implemented yet.")
    rate = min(1.0, k / n)
    return Component(
        "failure_history", round(HISTORY_MAX * rate),
        f"{k} of {n} similar changes (same service or type) failed, were rolled back or caused an "
        f"incident ({rate:.0%}).",
    )


def _business_hours(i: RiskInputs) -> Component:
    if not i.business_hours:
        detail = "Outside business hours at every affected site." if i.site_codes else "No affected sites."
        return Component("business_hours", 0, detail)
    shown = "; ".join(
        f"{h.site_code} {h.local_start:%a %d %b %H:%M}–{h.local_end:%H:%M} {h.time_zone}" for h in i.business_hours[:5]
    )
    more = f" and {len(i.business_hours) - 5} more" if len(i.business_hours) > 5 else ""
    return Component("business_hours", BUSINESS_HOURS_POINTS, f"Inside business hours: {shown}{more}.")


def _rollback(i: RiskInputs) -> Component:
    if i.rollback_minutes is None:
        if i.change_type == "standard":
            return Component("rollback", 0, "No rollback plan (a standard change does not need one).")
        return Component("rollback", NO_ROLLBACK_POINTS, "No rollback plan.")
    r, w = i.rollback_minutes, i.window_minutes
    if r > w:
        return Component(
            "rollback", ROLLBACK_OVER_WINDOW_POINTS,
            f"Rollback takes {r} min, longer than the whole {w}-minute window.",
        )
    if r * 2 > w:
        return Component(
            "rollback", ROLLBACK_OVER_HALF_POINTS,
            f"Rollback takes {r} min, more than half of the {w}-minute window: little time is left for the work.",
        )
    return Component("rollback", 0, f"Rollback takes {r} min of the {w}-minute window.")


def _verification(i: RiskInputs) -> Component:
    if i.has_verification_plan:
        return Component("verification", 0, "A verification plan is in place.")
    return Component("verification", NO_VERIFICATION_POINTS, "No verification plan: success cannot be checked.")


def _collisions(i: RiskInputs) -> Component:
    if not i.collisions:
        return Component("collisions", 0, "No overlapping changes or visits.")
    refs = i.collision_refs if len(i.collision_refs) == len(i.collisions) else ("",) * len(i.collisions)
    return Component(
        "collisions", min(COLLISIONS_MAX, COLLISION_POINTS * len(i.collisions)), collisions_detail(i.collisions),
        tuple({"ref": ref, "text": line} for ref, line in zip(refs, i.collisions, strict=True)),
    )


def collisions_detail(lines: list[str] | tuple[str, ...]) -> str:
    """'2 collision(s): CHG-4 Patch (same site lon-dc1); ...' (also each reader's shorter list)."""
    return f"{len(lines)} collision(s): " + "; ".join(lines) + "."


def _windows(i: RiskInputs) -> Component:
    if not i.violations:
        return Component("windows", 0, "Inside the change windows and outside freezes at every affected site.")
    return Component("windows", WINDOW_VIOLATION_POINTS, "; ".join(v.rstrip(".") for v in i.violations) + ".")


def _emergency(i: RiskInputs) -> Component:
    if i.change_type != "emergency":
        return Component("emergency", 0, f"A {i.change_type} change.")
    return Component("emergency", EMERGENCY_POINTS, "An emergency change: less time to prepare and review.")


# -- business hours over a window, in the site's zone -------------------------------------------


def _at(day: dt.date, hhmm: str, zone: ZoneInfo) -> dt.datetime:
    if hhmm == "24:00":
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
    h, m = hhmm.split(":")
    return dt.datetime.combine(day, dt.time(int(h), int(m)), tzinfo=zone)


def business_hours_overlap(
    start: dt.datetime,
    end: dt.datetime,
    time_zone: str,
    hours: BusinessHours,
    country: str = "",
    subdivision: str = "",
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) that fall in a site's business hours, as site-local intervals.

    Exact intervals, not samples: each local day's opening hours become aware instants in the
    site's zone (holidays closed), and are intersected with the window in UTC, so a
    daylight-saving change inside the window is handled by zoneinfo.
    """
    zone = ZoneInfo(time_zone)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    found: list[tuple[dt.datetime, dt.datetime]] = []
    day = first
    while day <= last:
        if not is_holiday(country, subdivision, day):
            for a, b in hours.get(WEEKDAYS[day.weekday()], []):
                lo = max(_at(day, a, zone).astimezone(dt.UTC), start)
                hi = min(_at(day, b, zone).astimezone(dt.UTC), end)
                if lo < hi:
                    found.append((lo.astimezone(zone), hi.astimezone(zone)))
        day += dt.timedelta(days=1)
    return found
