"""iCalendar (RFC 5545) feeds of on-call shifts, built with the icalendar library (plain data in, bytes out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from icalendar import Calendar, Event

from . import rules

UTC = dt.UTC
PRODID = "-//opsdesk//on-call//EN"


def shifts_calendar(items: Iterable[tuple[Any, rules.Shift]], people: dict[int, Any], *, name: str,
                    stamp: dt.datetime, gaps: Iterable[tuple[Any, dt.datetime, dt.datetime]] = ()) -> bytes:
    """One VEVENT per shift (UTC times; UID stable across refreshes), and one per gap when given."""
    cal = Calendar()
    for key, value in (("prodid", PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"), ("method", "PUBLISH"),
                       ("x-wr-calname", name)):
        cal.add(key, value)
    for schedule, shift in items:
        person = people.get(shift.person_id)
        who = person.username if person is not None else f"user {shift.person_id}"
        source = f"override-{shift.override_id}" if shift.override_id else f"layer-{shift.layer_id}"
        event = Event()
        event.add("uid", f"oncall-{schedule.pk}-{source}-{shift.person_id}-{shift.start:%Y%m%dT%H%M%SZ}@opsdesk")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        event.add("summary", f"On call: {who} ({schedule.name})")
        tz = rules.zone(schedule.time_zone)
        event.add("description", f"{shift.start.astimezone(tz):%a %d %b %H:%M} – {shift.end.astimezone(tz):%a %d %b %H:%M} "
                                 f"{schedule.time_zone} (local time)" + (" · override" if shift.override_id else ""))
        event.add("categories", ["on-call"])
        cal.add_component(event)
    for schedule, start, end in gaps:
        event = Event()
        event.add("uid", f"oncall-{schedule.pk}-gap-{start:%Y%m%dT%H%M%SZ}@opsdesk")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", start.astimezone(UTC))
        event.add("dtend", end.astimezone(UTC))
        event.add("summary", f"On-call gap: nobody covers ({schedule.name})")
        event.add("categories", ["on-call", "gap"])
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical
