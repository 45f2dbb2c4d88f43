"""Pure eligibility of engineers for work: skills, certifications and site access valid on the day,
shifts covering the window. Shared by readiness (is anyone eligible?) and dispatch (who?).

Decisions (relied on by readiness, dispatch and the tests):

- Every visit needs an "access" grant at the site. A site's induction or security-clearance
  requirement adds the SiteAccess kinds "induction" / "clearance" (`ACCESS_KIND_FOR`); the
  queries put the kinds a piece of work needs in `WorkFacts.access_kinds`.
- "Valid on the day" means valid on every site-local day the window touches (an expiry date is
  inclusive, as in `people.rules.valid_on`): a night window from Tue 22:00 to Wed 06:00 needs
  credentials valid on Wednesday.
- Shift coverage: the work must fit in the window inside one stretch of the engineer's weekly
  working hours (their own zone): with the work's duration known, some stretch must overlap the
  window for at least that long (a 1 h visit in a 14:00-18:00 window suits a shift ending 17:00,
  and the planner places it so); without it, or when the work fills the window, the whole window
  must lie inside one stretch. An interval ending 24:00 joins one starting 00:00 the next day, so
  ["22:00","24:00"] + ["00:00","06:00"] covers a night. Compared in UTC, so daylight-saving
  changes are honoured.
- Absence: with the duration known, the engineer is ineligible when their absences leave no time
  on shift in the window long enough for the work; without it, any absence overlapping the window
  makes them ineligible.
- Work with no window but a day is judged on that day only: credentials valid that day, no
  absence overlapping that site-local day, and no shift check (nothing to compare with). Work
  with neither is judged on skills, certifications and access held, without dates.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from opsdesk.people.rules import valid_on

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
UTC = dt.UTC
# Site requirement kind -> the SiteAccess kind an engineer must hold for it.
ACCESS_KIND_FOR = {"induction": "induction", "security_clearance": "clearance"}
ACCESS_WORDS = {"access": "site access", "induction": "induction", "clearance": "security clearance"}

Hours = Mapping[str, Sequence[Sequence[str]]]
# Weekly hours as a hashable value: ((weekday, ((start, end), ...)), ...).
HoursKey = tuple[tuple[str, tuple[tuple[str, ...], ...]], ...]


@dataclass(frozen=True)
class Verdict:
    """Whether one engineer may do one piece of work, and every reason when not."""

    engineer_id: int
    engineer_name: str
    eligible: bool
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class AccessFact:
    """One access grant, induction or clearance an engineer holds at a site."""

    site_id: int
    kind: str  # access | induction | clearance
    expires_on: dt.date | None = None


@dataclass(frozen=True)
class AbsenceFact:
    """Time an engineer is away, with why."""

    start_at: dt.datetime
    end_at: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class EngineerFacts:
    """What eligibility needs to know about an engineer (the queries may load only what the work asks about)."""

    id: int
    name: str
    time_zone: str = "UTC"
    working_hours: Hours = field(default_factory=dict)
    skills: Mapping[str, int] = field(default_factory=dict)  # skill code -> level
    certifications: Mapping[str, dt.date | None] = field(default_factory=dict)  # code -> expires_on
    site_access: tuple[AccessFact, ...] = ()
    absences: tuple[AbsenceFact, ...] = ()
    active: bool = True

    @cached_property
    def hours_key(self) -> HoursKey:
        """The weekly hours as a hashable value (shift coverage is cached on it)."""
        return tuple(sorted((day, tuple(tuple(i) for i in spans)) for day, spans in self.working_hours.items()))

    @cached_property
    def hours_id(self) -> int:
        """A small number standing for `hours_key` (equal hours, equal number; cheap to hash)."""
        return _pattern_id(self.hours_key)

    @cached_property
    def access_by_site(self) -> dict[int, dict[str, AccessFact]]:
        """The grants held, per site and kind."""
        out: dict[int, dict[str, AccessFact]] = {}
        for grant in self.site_access:
            out.setdefault(grant.site_id, {})[grant.kind] = grant
        return out


@dataclass(frozen=True)
class WorkFacts:
    """What a piece of work asks of an engineer. Skills and certifications are (code, name) pairs."""

    site_id: int
    site_code: str
    time_zone: str  # the site's zone: "the day" is a site-local day
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None
    day: dt.date | None = None  # used only when there is no window
    skills: tuple[tuple[str, str], ...] = ()
    certifications: tuple[tuple[str, str], ...] = ()
    access_kinds: tuple[str, ...] = ("access",)
    duration: dt.timedelta | None = None  # how long the work takes (its estimate)

    @property
    def has_window(self) -> bool:
        """Whether both ends of the window are known."""
        return self.window_start is not None and self.window_end is not None

    def __post_init__(self) -> None:
        # Judged against every candidate engineer: worked out once (a frozen dataclass; hence setattr).
        object.__setattr__(self, "_days", self._work_days())

    def days(self) -> tuple[dt.date, dt.date] | None:
        """The first and last site-local day the work touches, or None when undated."""
        return self._days  # type: ignore[no-any-return,attr-defined]

    def _work_days(self) -> tuple[dt.date, dt.date] | None:
        if self.window_start is not None and self.window_end is not None:
            tz = zone(self.time_zone)
            last = (self.window_end - dt.timedelta(microseconds=1)).astimezone(tz).date()
            return self.window_start.astimezone(tz).date(), max(last, self.window_start.astimezone(tz).date())
        if self.day is not None:
            return self.day, self.day
        return None

    def span(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The instants the engineer must be free: the window, or the whole site-local day."""
        if self.window_start is not None and self.window_end is not None:
            return self.window_start, self.window_end
        if self.day is not None:
            tz = zone(self.time_zone)
            start = dt.datetime.combine(self.day, dt.time(), tzinfo=tz)
            end = dt.datetime.combine(self.day + dt.timedelta(days=1), dt.time(), tzinfo=tz)
            return start.astimezone(UTC), end.astimezone(UTC)
        return None


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached)."""
    return ZoneInfo(name)


def access_kinds_for(requirement_kinds: Sequence[str]) -> tuple[str, ...]:
    """The SiteAccess kinds an engineer needs, given the kinds of the site's applicable blocking requirements."""
    extra = sorted({ACCESS_KIND_FOR[k] for k in requirement_kinds if k in ACCESS_KIND_FOR})
    return ("access", *extra)


# --- weekly hours as concrete instants ---------------------------------------------------------


@lru_cache(maxsize=512)
def _clock(hhmm: str) -> tuple[int, dt.time]:
    """'HH:MM' as (days to add, time of day): '24:00' is the next day's 00:00."""
    if hhmm == "24:00":
        return 1, dt.time()
    h, m = hhmm.split(":")
    return 0, dt.time(int(h), int(m))


def _at(day: dt.date, hhmm: str, tz: ZoneInfo) -> dt.datetime:
    extra, at = _clock(hhmm)
    if extra:
        day = day + dt.timedelta(days=extra)
    return dt.datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def stretches(hours: Hours, time_zone: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Weekly local hours as merged UTC intervals around [start, end) (24:00 joins the next day's 00:00)."""
    tz = zone(time_zone)
    first = start.astimezone(tz).date() - dt.timedelta(days=1)
    last = end.astimezone(tz).date() + dt.timedelta(days=1)
    return _stretches_between(hours, tz, first, last)


def _stretches_between(hours: Hours, tz: ZoneInfo, first: dt.date, last: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
    """Weekly local hours on the local days first..last as merged UTC intervals."""
    raw: list[tuple[dt.datetime, dt.datetime]] = []
    day = first
    while day <= last:
        for begin, finish in hours.get(WEEKDAYS[day.weekday()], []):
            raw.append((_at(day, begin, tz), _at(day, finish, tz)))
        day += dt.timedelta(days=1)
    raw.sort()
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for lo, hi in raw:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def coverage(hours: Hours, time_zone: str, start: dt.datetime, end: dt.datetime) -> tuple[str, dt.datetime | None]:
    """How weekly hours cover [start, end): ("covered"|"ends_early"|"starts_late"|"outside", the boundary that fails)."""
    return _coverage_of(stretches(hours, time_zone, start, end), start, end)


def _coverage_of(
    found: Sequence[tuple[dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> tuple[str, dt.datetime | None]:
    for a, b in found:
        if a <= start < b:
            return ("covered", None) if end <= b else ("ends_early", b)
    for a, b in found:
        if a < end and b > start:
            return "starts_late", a
    return "outside", None


@lru_cache(maxsize=4096)
def describe_window(start: dt.datetime, end: dt.datetime, time_zone: str) -> str:
    """'Tue 14:00–16:00 Europe/London' (or with both days when it crosses midnight)."""
    tz = zone(time_zone)
    a, b = start.astimezone(tz), end.astimezone(tz)
    right = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a %H:%M}"
    return f"{a:%a} {a:%H:%M}–{right} {time_zone}"


# --- the judgement -----------------------------------------------------------------------------


def judge(engineer: EngineerFacts, work: WorkFacts) -> Verdict:
    """Whether `engineer` may do `work`, with every reason in words when not."""
    reasons = standing_reasons(engineer, work) + timed_reasons(engineer, work)
    return Verdict(engineer.id, engineer.name, not reasons, reasons)


def standing_reasons(engineer: EngineerFacts, work: WorkFacts) -> tuple[str, ...]:
    """What the engineer lacks for the work whatever its hours: being active, skills, and
    certifications and site access valid on the work's last day. The same for all work at one
    site on one day asking the same (readiness caches it per batch)."""
    reasons: list[str] = []
    if not engineer.active:
        reasons.append("inactive")
    days = work.days()
    last_day = days[1] if days else None
    if work.skills:
        reasons.extend(_skill_reasons(engineer, work))
    if work.certifications:
        reasons.extend(_certification_reasons(engineer, work, last_day))
    reasons.extend(_access_reasons(engineer, work, last_day))
    return tuple(reasons)


def timed_reasons(engineer: EngineerFacts, work: WorkFacts) -> tuple[str, ...]:
    """Why the engineer cannot be there at the work's time: absences, and shifts not covering the window."""
    if work.window_start is not None and work.window_end is not None and work.duration is not None \
            and work.duration < work.window_end - work.window_start:
        return _fit_reasons(engineer, work, work.window_start, work.window_end, work.duration)
    reasons: list[str] = []
    if engineer.absences:
        reasons.extend(_absence_reasons(engineer, work))
    if work.window_start is not None and work.window_end is not None:
        reason = _shift_reason(engineer, work.window_start, work.window_end)
        if reason:
            reasons.append(reason)
    return tuple(reasons)


def _fit_reasons(
    engineer: EngineerFacts, work: WorkFacts, start: dt.datetime, end: dt.datetime, duration: dt.timedelta,
) -> tuple[str, ...]:
    """Why the work (of `duration`) cannot fit in [start, end) inside the engineer's shift and outside their absences."""
    reason = _fit_reason_by_id(engineer.hours_id, engineer.time_zone, start, end, duration)
    if reason is not None:
        return (reason,)
    if not engineer.absences:
        return ()
    pieces = _on_shift(engineer.hours_id, engineer.time_zone, start, end)
    for absence in engineer.absences:
        pieces = [
            piece for lo, hi in pieces
            for piece in ((lo, min(hi, absence.start_at)), (max(lo, absence.end_at), hi))
            if piece[1] > piece[0]
        ] if absence.start_at < end and absence.end_at > start else pieces
    if any(hi - lo >= duration for lo, hi in pieces):
        return ()
    return tuple(_absence_reasons(engineer, work))


def _on_shift(hours_id: int, tz_name: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """The engineer's (pattern `hours_id`) working stretches inside [start, end), from the block's
    stretches by bisection when the window and a day either side lie inside the block (as `_coverage_fast`)."""
    tz = zone(tz_name)
    first = start.astimezone(tz).date().toordinal() - 1
    last = end.astimezone(tz).date().toordinal() + 1
    block = (first - 1) // _BLOCK_DAYS
    if last > (block + 2) * _BLOCK_DAYS:
        found = stretches(dict(_PATTERN_KEYS[hours_id]), tz_name, start, end)
    else:
        begins, every = _block_stretches(hours_id, tz_name, block)
        found = every[max(bisect_right(begins, start) - 1, 0) : bisect_right(begins, end)]
    return [(max(a, start), min(b, end)) for a, b in found if a < end and b > start]


@lru_cache(maxsize=65536)
def _fit_reason_by_id(hours_id: int, tz_name: str, start: dt.datetime, end: dt.datetime, duration: dt.timedelta) -> str | None:
    """Why no working stretch holds `duration` of [start, end), in the words of `_shift_reason`; None when one does."""
    if any(hi - lo >= duration for lo, hi in _on_shift(hours_id, tz_name, start, end)):
        return None
    whole = _shift_reason_by_id(hours_id, tz_name, start, end)
    return whole or f"not on shift long enough during the window ({describe_window(start, end, tz_name)})"


def _skill_reasons(engineer: EngineerFacts, work: WorkFacts) -> list[str]:
    return [f"missing skill {name}" for code, name in work.skills if code not in engineer.skills]


def _certification_reasons(engineer: EngineerFacts, work: WorkFacts, day: dt.date | None) -> list[str]:
    out = []
    for code, name in work.certifications:
        if code not in engineer.certifications:
            out.append(f"missing certification {name}")
            continue
        expires = engineer.certifications[code]
        if day is not None and not valid_on(expires, day):
            out.append(f"certification {name} expires on {expires}, before the work on {day}")
    return out


def _access_reasons(engineer: EngineerFacts, work: WorkFacts, day: dt.date | None) -> list[str]:
    out = []
    held = engineer.access_by_site.get(work.site_id, {})
    for kind in work.access_kinds:
        words = ACCESS_WORDS.get(kind, kind)
        grant = held.get(kind)
        if grant is None:
            out.append(f"no {words} at {work.site_code}")
        elif day is not None and not valid_on(grant.expires_on, day):
            out.append(f"{words} at {work.site_code} expires on {grant.expires_on}, before the work on {day}")
    return out


def missing_access(work: WorkFacts) -> list[str]:
    """The reasons an engineer holding nothing at the work's site gives for its access (as `judge` words them)."""
    return [f"no {ACCESS_WORDS.get(kind, kind)} at {work.site_code}" for kind in work.access_kinds]


def _absence_reasons(engineer: EngineerFacts, work: WorkFacts) -> list[str]:
    span = work.span()
    if span is None:
        return []
    start, end = span
    tz = zone(work.time_zone)
    out = []
    for absence in sorted(engineer.absences, key=lambda a: a.start_at):
        if absence.start_at < end and absence.end_at > start:
            day = max(absence.start_at, start).astimezone(tz).date()
            out.append(f"absent ({absence.reason or 'absence'}) on {day}")
    return out


_PATTERNS: dict[HoursKey, int] = {}
_PATTERN_KEYS: list[HoursKey] = []


def _pattern_id(key: HoursKey) -> int:
    found = _PATTERNS.get(key)
    if found is None:
        found = _PATTERNS[key] = len(_PATTERN_KEYS)
        _PATTERN_KEYS.append(key)
    return found


def _shift_reason(engineer: EngineerFacts, start: dt.datetime, end: dt.datetime) -> str | None:
    return _shift_reason_by_id(engineer.hours_id, engineer.time_zone, start, end)


@lru_cache(maxsize=65536)
def _shift_reason_by_id(hours_id: int, tz_name: str, start: dt.datetime, end: dt.datetime) -> str | None:
    """Why weekly hours (pattern `hours_id`) do not cover [start, end), or None; cached, since
    engineers share shift patterns and work shares windows."""
    state, boundary = _coverage_fast(hours_id, tz_name, start, end)
    if state == "covered":
        return None
    if state == "ends_early" and boundary is not None:
        return f"shift ends before the window (ends {boundary.astimezone(zone(tz_name)):%H:%M} {tz_name})"
    if state == "starts_late" and boundary is not None:
        return f"shift starts after the window starts (starts {boundary.astimezone(zone(tz_name)):%H:%M} {tz_name})"
    return f"not on shift during the window ({describe_window(start, end, tz_name)})"


# Shift coverage in bulk: a pattern's stretches are built once per block of local days, and each
# window picks the stretches around it by bisection.
_BLOCK_DAYS = 28


@lru_cache(maxsize=8192)
def _block_stretches(
    hours_id: int, tz_name: str, block: int,
) -> tuple[list[dt.datetime], list[tuple[dt.datetime, dt.datetime]]]:
    """The stretches of pattern `hours_id` on the local days of block `block` and the next, with their starts."""
    first = dt.date.fromordinal(block * _BLOCK_DAYS + 1)
    hours = dict(_PATTERN_KEYS[hours_id])
    found = _stretches_between(hours, zone(tz_name), first, first + dt.timedelta(days=2 * _BLOCK_DAYS - 1))
    return [a for a, _ in found], found


def _coverage_fast(hours_id: int, tz_name: str, start: dt.datetime, end: dt.datetime) -> tuple[str, dt.datetime | None]:
    """`coverage` from the block's stretches, when the window and a day either side lie inside them.

    With that margin the answer is the same as from the window's own stretches: a stretch cut at
    the edge of the block ends after the window does, as one cut at the window's own edge would.
    """
    tz = zone(tz_name)
    first = start.astimezone(tz).date().toordinal() - 1
    last = end.astimezone(tz).date().toordinal() + 1
    block = (first - 1) // _BLOCK_DAYS
    if last > (block + 2) * _BLOCK_DAYS:
        return coverage(dict(_PATTERN_KEYS[hours_id]), tz_name, start, end)
    begins, found = _block_stretches(hours_id, tz_name, block)
    at = bisect_right(begins, start) - 1
    # Stretches are merged, sorted and disjoint: at most one holds `start`, the next may overlap.
    return _coverage_of(found[max(at, 0) : at + 2], start, end)
