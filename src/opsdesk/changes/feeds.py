"""iCalendar (RFC 5545) feeds of changes and of windows/freezes, built with the icalendar library.

Plain data in, bytes out: the endpoint authenticates, the queries choose what is shown. Times
are written in UTC (calendar clients show them in the viewer's zone); each event's UID is
stable across refreshes so subscribed calendars update events instead of duplicating them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from .queries import FeedChange
    from .windows.queries import Occurrence

UTC = dt.UTC
PRODID = "-//opsdesk//change calendar//EN"
# Calendar clients know CONFIRMED / TENTATIVE / CANCELLED only.
_STATUS = {"submitted": "TENTATIVE", "assessing": "TENTATIVE"}


def new_calendar(name: str, prodid: str = PRODID) -> Calendar:
    """An empty published calendar (also the dispatch schedule feed's)."""
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    return cal


def changes_calendar(changes: Iterable[FeedChange], *, name: str, base_url: str, stamp: dt.datetime) -> bytes:
    """One VEVENT per change: UID '<ref>@opsdesk', UTC start/end, title and state, affected sites and services."""
    cal = new_calendar(name)
    for change in sorted(changes, key=lambda c: (c.start_at, c.change_id)):
        event = Event()
        event.add("uid", f"{change.ref}@opsdesk")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", change.start_at.astimezone(UTC))
        event.add("dtend", change.end_at.astimezone(UTC))
        event.add("summary", f"CHG-{change.change_id} {change.title} [{change.state.replace('_', ' ')}]")
        lines = [
            f"Type: {change.type}", f"State: {change.state.replace('_', ' ')}",
            f"Sites: {', '.join(change.site_names) or '-'}",
            f"Services: {', '.join(change.service_names) or '-'}",
        ]
        event.add("description", "\n".join(lines))
        event.add("url", f"{base_url.rstrip('/')}/changes/{change.change_id}/")
        event.add("status", _STATUS.get(change.state, "CONFIRMED"))
        event.add("categories", ["change", change.type])
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical


def windows_calendar(occurrences: Iterable[Occurrence], *, name: str, stamp: dt.datetime) -> bytes:
    """One VEVENT per window or freeze occurrence at a site, labelled with its local times."""
    cal = new_calendar(name)
    for occ in occurrences:
        start_utc = occ.start.astimezone(UTC)
        event = Event()
        event.add("uid", f"change-window-{occ.rule.id}-{occ.site_id}-{start_utc:%Y%m%dT%H%M%SZ}@opsdesk")
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", start_utc)
        event.add("dtend", occ.end.astimezone(UTC))
        label = "Change window" if occ.rule.kind == "window" else "Change freeze"
        event.add("summary", f"{label}: {occ.rule.name} ({occ.site_code})")
        event.add(
            "description",
            f"{occ.site_code}: {occ.start:%a %d %b %H:%M} – {occ.end:%a %d %b %H:%M} {occ.time_zone} (local time)",
        )
        event.add("transp", "TRANSPARENT" if occ.rule.kind == "window" else "OPAQUE")
        event.add("categories", [occ.rule.kind])
        cal.add_component(event)
    ical: bytes = cal.to_ical()
    return ical
