"""Reads the change pages need beyond the lifecycle queries: local windows, filters, the week calendar.

Every read is scoped to the viewer through core.tenancy (client users see only changes that
affect their client). Times are computed here; templates only format them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from opsdesk.core import clock
from opsdesk.services import queries as service_queries
from opsdesk.sites import queries as site_queries
from opsdesk.sites.models import Site
from opsdesk.tenancy import queries as client_queries

from . import client_view, queries
from .models import ChangeRequest

# States shown on the calendar: everything that occupied, or occupies, its window.
CALENDAR_HIDDEN = ("draft", "rejected", "cancelled")
FILTER_KEYS = ("state", "type", "risk", "region", "site", "client")


# The ZoneInfo for an IANA name (UTC for an unknown or empty one).
zone_of = clock.zone_or_utc


def _lifecycle_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The page filters under the names the lifecycle queries take."""
    return {
        "state": filters.get("state"),
        "type": filters.get("type"),
        "risk_level": filters.get("risk"),
        "region": filters.get("region"),
        "site": filters.get("site"),
        "client": filters.get("client"),
    }


def list_changes(user: Any, filters: dict[str, Any]) -> QuerySet[ChangeRequest]:
    """Changes the user may see, filtered, soonest window first, with their relations fetched."""
    return queries.list_changes(user, **_lifecycle_filters(filters))


def filter_options(user: Any) -> dict[str, Any]:
    """What the filter selects offer: states, types, risk levels, regions, sites, clients."""
    return {
        "states": ChangeRequest.State.choices,
        "types": ChangeRequest.Type.choices,
        "risks": [("low", "Low"), ("medium", "Medium"), ("high", "High")],
        "regions": site_queries.list_regions(user),
        "sites": site_queries.list_sites(user).only("id", "code", "name", "time_zone", "region"),
        "clients": client_queries.list_clients(user),
    }


def visible_sites(user: Any) -> QuerySet[Site]:
    """Sites the user may name on a change."""
    return site_queries.list_sites(user)


def visible_services(user: Any) -> QuerySet[Any]:
    """Services the user may name on a change."""
    return service_queries.list_services(user)


def get_site(user: Any, site_id: int) -> Site:
    """One site the user may see, or NotFound."""
    return site_queries.get_site(user, site_id)


@dataclass(frozen=True)
class LocalWindow:
    """A change window as seen at one site (or by one person): local start and end, zone, offset."""

    label: str
    time_zone: str
    start: dt.datetime
    end: dt.datetime
    site_id: int | None = None

    @property
    def offset(self) -> str:
        """'UTC+05:30' at the start (the end's offset is shown too when DST changes inside)."""
        a, b = _offset(self.start), _offset(self.end)
        return a if a == b else f"{a} → {b}"


def _offset(value: dt.datetime) -> str:
    raw = value.strftime("%z")
    return f"UTC{raw[:3]}:{raw[3:]}" if raw else "UTC"


def local_window(start: dt.datetime, end: dt.datetime, time_zone: str, label: str, site_id: int | None = None) -> LocalWindow:
    """The window [start, end) in `time_zone`."""
    zone = zone_of(time_zone)
    return LocalWindow(label, time_zone, start.astimezone(zone), end.astimezone(zone), site_id)


def site_windows(change: ChangeRequest | client_view.ChangeForReader) -> list[LocalWindow]:
    """The change's window in each affected site's local time, by site code."""
    return [
        local_window(change.window_start, change.window_end, s.time_zone, s.code, s.pk)
        for s in sorted(change.sites.all(), key=lambda s: s.code)
    ]


# -- the week calendar ------------------------------------------------------------------------


def week_monday(value: dt.date) -> dt.date:
    """The Monday of the week containing `value`."""
    return value - dt.timedelta(days=value.weekday())


@dataclass
class CalendarItem:
    """One change's slice of one day, placed in the viewer's local time."""

    change: ChangeRequest | client_view.ChangeForReader
    start: dt.datetime  # viewer-local start of this slice
    end: dt.datetime
    continues_before: bool
    continues_after: bool
    site_lines: list[LocalWindow]
    lane: int = 0
    lanes: int = 1

    @property
    def top(self) -> float:
        """Offset from midnight, as a percentage of the day."""
        return round(_minutes(self.start) / 14.4, 3)

    @property
    def height(self) -> float:
        """Length as a percentage of the day."""
        minutes = (self.end - self.start).total_seconds() / 60
        return round(max(minutes, 1) / 14.4, 3)

    @property
    def zone_lines(self) -> list[tuple[str, str, str]]:
        """The whole window in each distinct site zone: (hours, zone, site codes)."""
        by_zone: dict[str, list[LocalWindow]] = {}
        for w in self.site_lines:
            by_zone.setdefault(w.time_zone, []).append(w)
        out = []
        for zone, windows in by_zone.items():
            w = windows[0]
            days = (w.end.date() - w.start.date()).days
            hours = f"{w.start:%H:%M}–{w.end:%H:%M}" + (f" +{days}d" if days else "")
            out.append((hours, zone, ", ".join(x.label for x in windows)))
        return out

    @property
    def left(self) -> float:
        """Horizontal offset in the day column (overlapping changes share it side by side)."""
        return round(100 * self.lane / self.lanes, 3)

    @property
    def width(self) -> float:
        """Width in the day column, as a percentage."""
        return round(100 / self.lanes, 3)


@dataclass
class FreezeBand:
    """A freeze (or window) occurrence shaded on one day of the selected site's calendar."""

    name: str
    kind: str
    start: dt.datetime
    end: dt.datetime
    site_start: dt.datetime
    site_end: dt.datetime

    @property
    def top(self) -> float:
        """Offset from midnight, as a percentage of the day."""
        return round(_minutes(self.start) / 14.4, 3)

    @property
    def height(self) -> float:
        """Length as a percentage of the day."""
        return round(max((self.end - self.start).total_seconds() / 60, 1) / 14.4, 3)


@dataclass
class CalendarDay:
    """One column of the week."""

    date: dt.date
    is_today: bool
    items: list[CalendarItem] = field(default_factory=list)
    bands: list[FreezeBand] = field(default_factory=list)


def _minutes(value: dt.datetime) -> float:
    return value.hour * 60 + value.minute + value.second / 60


def week_bounds(monday: dt.date, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The viewer-local week [Monday 00:00, next Monday 00:00) as aware instants."""
    zone = zone_of(time_zone)
    start = dt.datetime.combine(monday, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=zone)
    return start, end


def _slices(start: dt.datetime, end: dt.datetime, zone: ZoneInfo) -> list[tuple[dt.date, dt.datetime, dt.datetime, bool, bool]]:
    """[start, end) cut at the viewer's local midnights: (day, slice start, slice end, cut before, cut after)."""
    a, b = start.astimezone(zone), end.astimezone(zone)
    out = []
    day = a.date()
    while True:
        midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
        next_midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        s, e = max(a, midnight), min(b, next_midnight)
        if s < e:
            # Render the end of a day-filling slice as 24:00 of this day.
            out.append((day, s, e if e < next_midnight else midnight.replace(hour=23, minute=59, second=59), s > a, e < b))
        if b <= next_midnight:
            return out
        day += dt.timedelta(days=1)


def _assign_lanes(items: list[CalendarItem]) -> None:
    """Side-by-side lanes for overlapping slices; each cluster of overlaps shares its lane count."""
    items.sort(key=lambda i: (i.start, i.end, i.change.pk))
    cluster: list[CalendarItem] = []
    lane_ends: list[dt.datetime] = []
    cluster_end: dt.datetime | None = None

    def close() -> None:
        for member in cluster:
            member.lanes = max(len(lane_ends), 1)

    for item in items:
        if cluster_end is not None and item.start >= cluster_end:
            close()
            cluster, lane_ends, cluster_end = [], [], None
        for lane, lane_end in enumerate(lane_ends):
            if lane_end <= item.start:
                item.lane, lane_ends[lane] = lane, item.end
                break
        else:
            item.lane = len(lane_ends)
            lane_ends.append(item.end)
        cluster.append(item)
        cluster_end = item.end if cluster_end is None else max(cluster_end, item.end)
    close()


def calendar_changes(user: Any, start: dt.datetime, end: dt.datetime, filters: dict[str, Any]
) -> list[ChangeRequest | client_view.ChangeForReader]:
    """Changes the user may see whose window overlaps [start, end), filtered, without drafts,
    rejected or cancelled ones."""
    qs = queries.list_changes(user, **_lifecycle_filters(filters), window_from=start, window_to=end)
    return client_view.for_readers(qs.exclude(state__in=CALENDAR_HIDDEN), user)


def calendar_week(
    user: Any, monday: dt.date, time_zone: str, filters: dict[str, Any], *, today: dt.date,
    bands: list[tuple[str, str, dt.datetime, dt.datetime, str]] = (),  # type: ignore[assignment]
) -> list[CalendarDay]:
    """Seven days from `monday` in the viewer's zone, each with its changes placed and the
    selected site's freezes as bands (name, kind, start, end, site time zone)."""
    zone = zone_of(time_zone)
    start, end = week_bounds(monday, time_zone)
    days = {monday + dt.timedelta(days=i): CalendarDay(monday + dt.timedelta(days=i), False) for i in range(7)}
    for calendar_day in days.values():
        calendar_day.is_today = calendar_day.date == today
    for change in calendar_changes(user, start, end, filters):
        lines = site_windows(change)
        for day, s, e, before, after in _slices(change.window_start, change.window_end, zone):
            if day in days:
                days[day].items.append(CalendarItem(change, s, e, before, after, lines))
    for name, kind, b_start, b_end, site_zone in bands:
        site_z = zone_of(site_zone)
        for day, s, e, _before, _after in _slices(max(b_start, start), min(b_end, end), zone):
            if day in days:
                days[day].bands.append(
                    FreezeBand(name, kind, s, e, b_start.astimezone(site_z), b_end.astimezone(site_z))
                )
    for cal_day in days.values():
        _assign_lanes(cal_day.items)
    return list(days.values())


def parse_week(value: str | None, fallback: dt.date) -> dt.date:
    """The Monday of ?week=YYYY-MM-DD (any day of the week), or of `fallback`."""
    try:
        return week_monday(dt.date.fromisoformat((value or "").strip()))
    except ValueError:
        return week_monday(fallback)


def state_order(state: str) -> int:
    """Position of a state in the lifecycle (for ordering buttons)."""
    return [s for s, _ in ChangeRequest.State.choices].index(state)
