"""Pure evaluation of change windows and freezes in each site's own local time (RFC 5545 rules).

Interface shared by the change lifecycle (approval is blocked by violations), risk, the
calendar and the benchmark. Implemented with dateutil's rrule in the site's ZoneInfo, so
occurrences keep their local wall-clock time across daylight-saving changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowRule:
    """A window (change allowed) or freeze (change forbidden), as plain data."""

    id: int
    kind: str  # "window" | "freeze"
    name: str
    site_id: int | None
    region_id: int | None
    client_id: int | None
    start_on: dt.date
    start_time: dt.time
    duration_minutes: int
    rrule: str  # "" for a one-off


@dataclass(frozen=True)
class SiteCalendar:
    """What window evaluation needs to know about an affected site."""

    id: int
    code: str
    time_zone: str
    region_id: int
    client_ids: frozenset[int]


@dataclass(frozen=True)
class WindowViolation:
    """Why a change's window is not allowed at one site, in words naming the site, rule and local times."""

    site_id: int
    site_code: str
    rule_id: int | None
    rule_name: str
    kind: str  # "freeze" | "outside_window"
    detail: str


def applicable(site: SiteCalendar, rules: list[WindowRule]) -> list[WindowRule]:
    """Rules that govern a site: its own, its region's, and those of any client it serves."""
    raise NotImplementedError


def occurrences(rule: WindowRule, time_zone: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Occurrences of `rule` in `time_zone` that overlap [start, end), as aware UTC intervals."""
    raise NotImplementedError


def check(
    window_start: dt.datetime, window_end: dt.datetime, sites: list[SiteCalendar], rules: list[WindowRule]
) -> list[WindowViolation]:
    """Violations of a change window [start, end) at every affected site.

    A freeze occurrence overlapping the window is a violation. When a site has any window
    rules, the change must lie entirely inside one occurrence of one of them; a site with no
    window rules allows change at any time outside freezes.
    """
    raise NotImplementedError
