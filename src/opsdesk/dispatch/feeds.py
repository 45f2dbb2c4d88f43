"""iCalendar (RFC 5545) feed of an engineer's planned visits, built with the icalendar library.

One VEVENT per stop of an accepted plan. The UID is per work order ("plan-stop-wo<id>@opsdesk"),
so when a re-plan moves a visit the subscribed calendar updates the event instead of adding one.
Times are written in UTC; the description names the site's local window and arrival.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from icalendar import Event

from opsdesk.changes.feeds import new_calendar
from opsdesk.workorders import eligibility

from .models import PlanStop

UTC = dt.UTC
PRODID = "-//opsdesk//dispatch schedule//EN"


def uid_of(work_order_id: int) -> str:
    """The event's UID: stable per work order across plans."""
    return f"plan-stop-wo{work_order_id}@opsdesk"


def _local(when: dt.datetime | None, zone_name: str) -> str:
    if when is None:
        return "-"
    return f"{when.astimezone(eligibility.zone(zone_name)):%a %d %b %H:%M}"


def engineer_calendar(stops: Iterable[PlanStop], *, name: str, base_url: str, stamp: dt.datetime) -> bytes:
    """The stops as a calendar (the newest plan's stop wins when a work order appears twice)."""
    cal = new_calendar(name, PRODID)
    latest: dict[int, PlanStop] = {}
    for stop in stops:
        kept = latest.get(stop.work_order_id)
        if kept is None or stop.plan_id > kept.plan_id:
            latest[stop.work_order_id] = stop
    for stop in sorted(latest.values(), key=lambda s: (s.start_at, s.work_order_id)):
        wo = stop.work_order
        site = wo.site
        zone = site.time_zone or "UTC"
        event = Event()
        event.add("uid", uid_of(wo.pk))
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", stop.start_at.astimezone(UTC))
        event.add("dtend", stop.finish_at.astimezone(UTC))
        event.add("summary", f"WO-{wo.pk} {wo.title}")
        event.add("location", f"{site.name} ({site.code})")
        event.add("description", "\n".join([
            f"Window: {_local(wo.window_start, zone)} – {_local(wo.window_end, zone)} {zone}",
            f"Arrive: {_local(stop.arrival_at, zone)} {zone}",
            f"Visit: {_local(stop.start_at, zone)} – {_local(stop.finish_at, zone)} {zone}",
            f"Plan {stop.plan_id}, stop {stop.position + 1}",
        ]))
        event.add("url", f"{base_url.rstrip('/')}/work/{wo.pk}/")
        event.add("status", "CONFIRMED")
        event.add("categories", ["dispatch"])
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical
