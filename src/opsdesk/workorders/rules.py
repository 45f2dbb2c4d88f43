"""Pure decisions about work orders: the state machine and the readiness gate.

Readiness and eligibility are computed from plain data (see readiness.py, eligibility.py),
never ticked by hand; the machine below says which moves exist, and the gate says which of
them the blockers allow. The on-site rules below say whether a check-in falls in the visit's window
(widened by the category's tolerance), how far the device was from the site, and whether a
not-completed check-out names its reason.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from opsdesk.core.fsm import Machine

STATES = (
    "draft", "submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route",
    "on_site", "completed", "verified", "closed", "on_hold", "blocked", "cancelled",
)

MACHINE = Machine.build(
    "work order",
    STATES,
    {
        "draft": ["submitted", "cancelled"],
        "submitted": ["triage", "cancelled"],
        "triage": ["readiness", "on_hold", "cancelled"],
        "readiness": ["ready", "blocked", "on_hold", "cancelled"],
        "ready": ["scheduled", "readiness", "blocked", "on_hold", "cancelled"],
        "scheduled": ["dispatched", "ready", "blocked", "on_hold", "cancelled"],
        "dispatched": ["en_route", "scheduled", "blocked", "on_hold", "cancelled"],
        "en_route": ["on_site", "dispatched", "on_hold"],
        "on_site": ["completed", "on_hold"],
        "completed": ["verified", "on_site"],
        "verified": ["closed"],
        "closed": [],
        "on_hold": ["triage", "readiness", "ready", "scheduled", "cancelled"],
        "blocked": ["readiness", "ready", "on_hold", "cancelled"],
        "cancelled": [],
    },
)

# Moves that the readiness gate guards: no open blocker unless a dispatcher overrode it.
GATED = frozenset({"ready", "scheduled", "dispatched"})
# States in which readiness is evaluated and maintained (before the work is done).
OPEN_STATES = frozenset({"submitted", "triage", "readiness", "ready", "scheduled", "dispatched", "en_route", "blocked", "on_hold"})
# States in which an engineer is at or on the way to the site (a 'visit' on core.schedule).
VISIT_STATES = frozenset({"scheduled", "dispatched", "en_route", "on_site"})


# --- on site: the window's tolerance, the distance from the site, why a visit failed -----------
# Used when a category has no policy row (the row's defaults are the same).
DEFAULT_EARLY_MINUTES = 30
DEFAULT_LATE_MINUTES = 60
DEFAULT_RADIUS_M = 500
EARTH_RADIUS_M = 6_371_008.8  # the mean Earth radius (IUGG)
FAILURE_REASONS = ("no_access", "parts_missing", "wrong_information", "client_not_ready", "other")


@dataclass(frozen=True)
class CheckInPolicy:
    """A category's tolerance around the window (minutes) and its distance flag (metres)."""

    early_minutes: int = DEFAULT_EARLY_MINUTES
    late_minutes: int = DEFAULT_LATE_MINUTES
    radius_m: int = DEFAULT_RADIUS_M


@dataclass(frozen=True)
class WindowCheck:
    """Where a check-in falls: minutes beyond the tolerance before or after the window (0, 0: fine)."""

    minutes_early: int = 0
    minutes_late: int = 0

    @property
    def outside(self) -> bool:
        """Beyond the tolerance on either side."""
        return bool(self.minutes_early or self.minutes_late)


def _minutes_up(delta: dt.timedelta) -> int:
    return max(0, math.ceil(delta.total_seconds() / 60))


def check_window(
    at: dt.datetime, start: dt.datetime | None, end: dt.datetime | None, policy: CheckInPolicy
) -> WindowCheck:
    """Whether a check-in at `at` is within the window widened by the tolerance (no window: always)."""
    if start is None or end is None:
        return WindowCheck()
    opens = start - dt.timedelta(minutes=policy.early_minutes)
    closes = end + dt.timedelta(minutes=policy.late_minutes)
    if at < opens:
        return WindowCheck(minutes_early=_minutes_up(opens - at))
    if at > closes:
        return WindowCheck(minutes_late=_minutes_up(at - closes))
    return WindowCheck()


def _local(at: dt.datetime, zone: ZoneInfo, *, day: bool = True) -> str:
    local = at.astimezone(zone)
    return local.strftime("%a %d %b %Y %H:%M" if day else "%H:%M")


def window_refusal(
    at: dt.datetime, start: dt.datetime, end: dt.datetime, policy: CheckInPolicy, time_zone: str
) -> str:
    """Why a check-in outside the tolerance needs a reason, in the site's local time."""
    zone = ZoneInfo(time_zone)
    same_day = start.astimezone(zone).date() == end.astimezone(zone).date()
    abbr = start.astimezone(zone).tzname()
    window = f"{_local(start, zone)}–{_local(end, zone, day=not same_day)} {abbr} ({time_zone})"
    opens = start - dt.timedelta(minutes=policy.early_minutes)
    closes = end + dt.timedelta(minutes=policy.late_minutes)
    return (
        f"the visit's window is {window}; without a reason check-in is accepted from {_local(opens, zone)} to "
        f"{_local(closes, zone)} ({policy.early_minutes} min early, {policy.late_minutes} min late). "
        f"It is now {_local(at, zone)} {at.astimezone(zone).tzname()}: give the reason for checking in outside the window."
    )


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points (degrees), in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def check_distance(
    device: tuple[float, float] | None, site: tuple[float | None, float | None], radius_m: int
) -> tuple[float | None, bool]:
    """(distance in metres, flagged): flagged when the device reported a place beyond the radius.
    Unknown (None, False) without the device's place or the site's coordinates."""
    if device is None or site[0] is None or site[1] is None:
        return None, False
    distance = haversine_m(device[0], device[1], site[0], site[1])
    return round(distance, 1), distance > radius_m


def location_problem(latitude: float | None, longitude: float | None, accuracy_m: float | None) -> tuple[str, str] | None:
    """(field, message) when the device's location is incomplete or out of range, else None."""
    if (latitude is None) != (longitude is None):
        return ("longitude" if longitude is None else "latitude"), "send latitude and longitude together"
    if latitude is None:
        return ("accuracy_m", "accuracy without a location") if accuracy_m is not None else None
    assert longitude is not None
    if not -90 <= latitude <= 90 or math.isnan(latitude):
        return "latitude", "must be between -90 and 90"
    if not -180 <= longitude <= 180 or math.isnan(longitude):
        return "longitude", "must be between -180 and 180"
    if accuracy_m is not None and (math.isnan(accuracy_m) or accuracy_m < 0):
        return "accuracy_m", "must be zero or more metres"
    return None


def failure_problem(reason: str, note: str) -> tuple[str, str] | None:
    """(field, message) when a not-completed check-out's reason is missing or unknown, else None."""
    if reason not in FAILURE_REASONS:
        return "failure_reason", f"one of {', '.join(FAILURE_REASONS)}: why the work could not be completed"
    if reason == "other" and not note.strip():
        return "failure_note", "say what happened (required with 'other')"
    return None
