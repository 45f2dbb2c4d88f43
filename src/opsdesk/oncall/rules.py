"""Pure expansion of on-call schedules into final shifts, DST-correct by construction.

Time semantics (decided here, relied on by queries, the API, pages, the CLI and the tests):

- Every boundary of a schedule (a rotation handoff, a restriction's start or end) is a local
  wall-clock time in the schedule's zone, computed with naive wall-clock arithmetic: shift k of a
  layer starts at wall time `start_on + handoff + k * period` (period 1 day, 7 days, or
  `shift_hours` of wall-clock time). A 09:00 handoff is 09:00 local on both sides of a clock
  change, and a 20:00-08:00 night shift stays 20:00-08:00, lasting 11 or 13 real hours that night.
- A wall time becomes an instant as "the first instant at which the clock shows that time or
  later": an ordinary time is zoneinfo's reading; an ambiguous time (the repeated hour in autumn)
  is its first occurrence (fold=0); a time that does not exist (the skipped hour in spring)
  moves forward to the first valid instant, the moment of the change itself (02:30 on the night
  London skips 01:00-02:00 local is 02:00 BST = 01:00 UTC).
- That mapping is monotone, and consecutive shifts take their shared boundary from the same wall
  time, so they share the instant exactly: no overlap and no gap can appear at a change.
- Restrictions cut each layer's shifts to allowed local intervals, also in wall-clock time; an
  end at or before the start runs past midnight (equal: 24 hours). No restrictions: always.
- At each instant the highest level among the layers covering it wins (layers of that same level
  are on call together); lower layers fill the rest. Overrides win over every layer: for the
  person they cover for, or wholesale (for whoever is on call) when `covers_for` is None.

Speed: `CompiledSchedule` holds one schedule as plain data; `who(at)` expands only the shifts
around `at` (a few zoneinfo conversions per layer), which is what lookups at scale need.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

UTC = dt.UTC
ROTATIONS = ("daily", "weekly", "custom")
MAX_SHIFT_HOURS = 24 * 366
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Clocks jump by at most a few hours at a change: this margin around a window's wall-clock span
# keeps every boundary whose instant could fall inside the window.
_MARGIN = dt.timedelta(hours=6)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Restriction:
    """An allowed local interval on some weekdays (Monday=0): start..end, past midnight when end <= start."""

    days: tuple[int, ...]
    start: dt.time
    end: dt.time


@dataclass(frozen=True)
class Layer:
    """One rotation of people, as plain data."""

    id: int
    level: int
    period: dt.timedelta  # wall-clock length of one shift
    anchor: dt.datetime  # naive local start of shift 0
    members: tuple[int, ...]  # person ids in rotation order
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True)
class OverrideRule:
    """Someone covers [start, end) (aware UTC), for one person or (covers_for None) for everyone."""

    id: int
    person_id: int
    start: dt.datetime
    end: dt.datetime
    covers_for: int | None = None


@dataclass(frozen=True)
class Shift:
    """A final interval [start, end) during which one person is on call, from a layer or an override."""

    person_id: int
    start: dt.datetime
    end: dt.datetime
    layer_id: int | None
    override_id: int | None


# --- validation ------------------------------------------------------------------------------


def valid_zone(name: str) -> str:
    """The IANA zone name, or ValueError."""
    if not isinstance(name, str) or not name or name not in _zones():
        raise ValueError(f"unknown time zone {name!r}; give an IANA name such as Europe/London")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def period_of(rotation: str, shift_hours: float | None) -> dt.timedelta:
    """The wall-clock length of one shift, or ValueError."""
    if rotation == "daily":
        return dt.timedelta(days=1)
    if rotation == "weekly":
        return dt.timedelta(days=7)
    if rotation != "custom":
        raise ValueError(f"rotation must be one of {', '.join(ROTATIONS)}")
    if shift_hours is None or isinstance(shift_hours, bool) or not isinstance(shift_hours, int | float):
        raise ValueError("a custom rotation needs shift_hours (e.g. 12, or 48 for every 2 days)")
    if not math.isfinite(shift_hours) or shift_hours <= 0 or shift_hours > MAX_SHIFT_HOURS:
        raise ValueError(f"shift_hours must be more than 0 and at most {MAX_SHIFT_HOURS}")
    minutes = shift_hours * 60
    if abs(minutes - round(minutes)) > 1e-9:
        raise ValueError("shift_hours must be a whole number of minutes (e.g. 12 or 7.5)")
    return dt.timedelta(minutes=round(minutes))


def parse_hhmm(value: object) -> dt.time:
    """'HH:MM' (00:00-23:59) as a time, or ValueError."""
    if not isinstance(value, str) or not _HHMM.match(value):
        raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 09:00)")
    return dt.time(int(value[:2]), int(value[3:]))


def parse_restrictions(value: object) -> tuple[Restriction, ...]:
    """Restrictions from their JSON form [{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}], or ValueError."""
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 50:
        raise ValueError("restrictions must be a list (at most 50) of {days, start, end}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"days", "start", "end"}:
            raise ValueError(f"restriction {i + 1}: give {{\"days\": [0..6], \"start\": \"HH:MM\", \"end\": \"HH:MM\"}}")
        days = item.get("days", list(range(7)))
        if (not isinstance(days, list) or not days
                or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in days)):
            raise ValueError(f"restriction {i + 1}: days must be a non-empty list of 0-6 (Monday=0)")
        try:
            start, end = parse_hhmm(item.get("start")), parse_hhmm(item.get("end"))
        except ValueError as exc:
            raise ValueError(f"restriction {i + 1}: {exc}") from exc
        out.append(Restriction(tuple(sorted(set(days))), start, end))
    return tuple(out)


def restrictions_json(restrictions: tuple[Restriction, ...]) -> list[dict[str, object]]:
    """The JSON form of restrictions (what the model stores)."""
    return [{"days": list(r.days), "start": f"{r.start:%H:%M}", "end": f"{r.end:%H:%M}"} for r in restrictions]


_DAY_RANGE = re.compile(r"^([A-Za-z]{3})(?:-([A-Za-z]{3}))?$")


def parse_restriction_text(text: str) -> list[dict[str, object]]:
    """'Mon-Fri 09:00-17:00; Sat,Sun 00:00-00:00' (one per line or ';') as the JSON form, or ValueError."""
    out: list[dict[str, object]] = []
    for raw in re.split(r"[;\n]", text or ""):
        part = raw.strip()
        if not part:
            continue
        pieces = part.split()
        if len(pieces) != 2 or "-" not in pieces[1]:
            raise ValueError(f"{part!r}: write days and hours like 'Mon-Fri 09:00-17:00'")
        days: set[int] = set()
        for chunk in pieces[0].split(","):
            match = _DAY_RANGE.match(chunk)
            names = [n.title() for n in match.groups() if n] if match else []
            if not names or any(n not in DAY_NAMES for n in names):
                raise ValueError(f"{part!r}: days are Mon, Tue, Wed, Thu, Fri, Sat, Sun (ranges like Mon-Fri)")
            a, b = DAY_NAMES.index(names[0]), DAY_NAMES.index(names[-1])
            days.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
        start, _, end = pieces[1].partition("-")
        entry: dict[str, object] = {"days": sorted(days), "start": start, "end": end}
        parse_restrictions([entry])
        out.append(entry)
    return out


def restriction_text(value: list[dict[str, object]]) -> str:
    """The editor's text form of restrictions' JSON ('Mon-Fri 09:00-17:00; ...')."""
    parts = []
    for r in parse_restrictions(value):
        days = list(r.days)
        if days == list(range(days[0], days[-1] + 1)) and len(days) > 1:
            names = f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
        else:
            names = ",".join(DAY_NAMES[d] for d in days)
        parts.append(f"{names} {r.start:%H:%M}-{r.end:%H:%M}")
    return "; ".join(parts)


# --- wall clock <-> instants -----------------------------------------------------------------


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached)."""
    return ZoneInfo(name)


def to_utc(wall: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The first instant at which the clock in `tz` shows naive `wall` or later.

    fold=0 picks the first of an ambiguous (repeated) time; a nonexistent time (spring gap)
    moves forward to the first valid instant, i.e. the instant of the change.
    """
    instant = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) == wall:
        return instant
    # In a gap: fold=1 reads it with the offset after the change (an earlier instant, before the
    # change); the change lies between the two readings. Find it to the second.
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = instant
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0) if hi.microsecond else hi


def local(instant: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """The naive wall-clock reading of an aware instant."""
    return instant.astimezone(tz).replace(tzinfo=None)


# --- expansion -------------------------------------------------------------------------------


def _restricted(lo: dt.datetime, hi: dt.datetime, restrictions: tuple[Restriction, ...]) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of the wall interval [lo, hi) that the restrictions allow (merged, sorted)."""
    if not restrictions:
        return [(lo, hi)]
    pieces: list[tuple[dt.datetime, dt.datetime]] = []
    day = lo.date() - dt.timedelta(days=1)
    while day <= hi.date():
        weekday = day.weekday()
        for r in restrictions:
            if weekday not in r.days:
                continue
            a = dt.datetime.combine(day, r.start)
            b = dt.datetime.combine(day + dt.timedelta(days=1) if r.end <= r.start else day, r.end)
            a, b = max(a, lo), min(b, hi)
            if a < b:
                pieces.append((a, b))
        day += dt.timedelta(days=1)
    pieces.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for a, b in pieces:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def layer_intervals(layer: Layer, tz: ZoneInfo, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime, int]]:
    """The layer's (start, end, person id) intervals overlapping [start, end), clipped to it, in UTC."""
    if not layer.members or start >= end:
        return []
    wall_lo, wall_hi = local(start, tz) - _MARGIN, local(end, tz) + _MARGIN
    if wall_hi <= layer.anchor:
        return []
    first = max(0, (wall_lo - layer.anchor) // layer.period)
    last = (wall_hi - layer.anchor) // layer.period
    out = []
    n = len(layer.members)
    for k in range(first, last + 1):
        s_wall = layer.anchor + layer.period * k
        e_wall = s_wall + layer.period
        person = layer.members[k % n]
        for a, b in _restricted(max(s_wall, wall_lo), min(e_wall, wall_hi), layer.restrictions):
            ua, ub = max(to_utc(a, tz), start), min(to_utc(b, tz), end)
            if ua < ub:
                out.append((ua, ub, person))
    return out


@dataclass
class CompiledSchedule:
    """One schedule as plain data, ready to answer who is on call and to expand final shifts."""

    id: int
    time_zone: str
    layers: tuple[Layer, ...]
    overrides: tuple[OverrideRule, ...] = ()
    tz: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.tz = zone(self.time_zone)
        self.overrides = tuple(sorted(self.overrides, key=lambda o: (o.start, o.id)))

    def shifts(self, start: dt.datetime, end: dt.datetime) -> list[Shift]:
        """The final shifts in [start, end), clipped to it, sorted by start then person."""
        return final_shifts(self, start, end)

    def who(self, at: dt.datetime) -> list[int]:
        """The ids of the people on call at instant `at` (sorted; empty in a gap)."""
        return sorted({s.person_id for s in final_shifts(self, at, at + dt.timedelta(seconds=1))})

    def gaps(self, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """The intervals in [start, end) that nobody covers."""
        return gaps_of(final_shifts(self, start, end), start, end)


_Layered = list[tuple[int, list[tuple[dt.datetime, dt.datetime, int]], list[dt.datetime], int]]


def _at_instant(
    segment: tuple[dt.datetime, dt.datetime], layered: _Layered, overrides: tuple[OverrideRule, ...],
) -> set[tuple[int, int | None, int | None]]:
    """Who covers a segment in which nothing changes: (person, layer id, override id)."""
    a, b = segment
    best: int | None = None
    covering: set[tuple[int, int | None, int | None]] = set()
    for level, intervals, starts, layer_id in layered:
        if best is not None and level < best:
            break
        # A layer's intervals are sorted and do not overlap: only the last one starting at or
        # before `a` can hold the segment.
        i = bisect_right(starts, a) - 1
        if i >= 0 and intervals[i][1] >= b:
            best = level
            covering.add((intervals[i][2], layer_id, None))
    active = [o for o in overrides if o.start <= a and b <= o.end]
    wholesale = [o for o in active if o.covers_for is None]
    if wholesale:
        return {(o.person_id, None, o.id) for o in wholesale}
    for o in active:
        replaced = {c for c in covering if c[0] == o.covers_for and c[2] is None}
        if replaced:
            covering -= replaced
            covering.add((o.person_id, None, o.id))
    return covering


def final_shifts(schedule: CompiledSchedule, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The final schedule over [start, end): layers by level, then overrides on top."""
    if start >= end:
        return []
    tz = schedule.tz
    layered: _Layered = []
    for layer in schedule.layers:
        intervals = layer_intervals(layer, tz, start, end)
        layered.append((layer.level, intervals, [s for s, _, _ in intervals], layer.id))
    layered.sort(key=lambda item: -item[0])
    overrides = tuple(o for o in schedule.overrides if o.start < end and o.end > start)
    cuts = {start, end}
    for _, intervals, _, _ in layered:
        for s, e, _ in intervals:
            cuts.update((s, e))
    for o in overrides:
        cuts.update((max(o.start, start), min(o.end, end)))
    points = sorted(cuts)
    open_: dict[tuple[int, int | None, int | None], dt.datetime] = {}
    out: list[Shift] = []
    for a, b in itertools.pairwise(points):
        now = _at_instant((a, b), layered, overrides)
        for key in list(open_):
            if key not in now:
                out.append(Shift(key[0], open_.pop(key), a, key[1], key[2]))
        for key in now:
            open_.setdefault(key, a)
    for key, began in open_.items():
        out.append(Shift(key[0], began, end, key[1], key[2]))
    out.sort(key=lambda s: (s.start, s.person_id, s.end))
    return out


def gaps_of(shifts: list[Shift], start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) that no shift covers."""
    out = []
    cursor = start
    for s in sorted(shifts, key=lambda s: s.start):
        if s.start > cursor:
            out.append((cursor, s.start))
        cursor = max(cursor, s.end)
    if cursor < end:
        out.append((cursor, end))
    return out


def describe_gap(start: dt.datetime, end: dt.datetime, time_zone: str) -> str:
    """'Nobody covers Tue 02:00–06:00' (local times; the days named when it spans midnight)."""
    tz = zone(time_zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    right = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %d %b %H:%M}"
    return f"Nobody covers {a:%a %d %b %H:%M}–{right} ({time_zone})"
