"""Pure evaluation of change windows and freezes in each site's own local time (RFC 5545 rules).

Interface shared by the change lifecycle (approval is blocked by violations), risk, the
calendar and the benchmark. Implemented with dateutil's rrule in the site's ZoneInfo, so
occurrences keep their local wall-clock time across daylight-saving changes.

Time semantics (decided here, relied on by the API, the calendar and the tests):

- A rule is anchored at the local wall-clock `start_on` + `start_time` and expanded in each
  affected site's own zone: "every Sunday 01:00" is 01:00 local on both sides of a clock change,
  so one region-wide rule means different UTC instants at a London and a Frankfurt site.
- `duration_minutes` is real elapsed time from the aware local start (RFC 5545's exact
  DURATION of hours/minutes): "Sunday 01:00 for 240 minutes" on the night clocks go back
  ends at 04:00 local (four real hours), not 05:00.
- Local times that do not exist or happen twice follow zoneinfo's fold=0, which is also
  RFC 5545 §3.3.5: a start in the spring-forward gap is read with the offset before the gap
  (01:30 on 29 Mar 2026 in London starts at 02:30 BST = 01:30 UTC); an ambiguous start in the
  autumn overlap is the first of the two (01:30 BST, not 01:30 GMT).
- UNTIL is read in the site's local time like DTSTART (a date alone means through the end of
  that local day); a UTC UNTIL ("...Z") is refused because a region or client rule has no
  single zone. COUNT is allowed; COUNT with UNTIL is not (RFC 5545 forbids both).

Speed: parsed rules are cached, and a rule without COUNT is re-anchored (its DTSTART moved
forward by whole multiples of its period, which leaves the recurrence set unchanged) to just
before the interval asked about, so a check expands only the few occurrences near the change
instead of iterating from DTSTART across years.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from dateutil import rrule as rr

UTC = dt.UTC
MAX_DURATION_MINUTES = 60 * 24 * 366
MAX_RRULE_LENGTH = 500
_REFUSED_FREQS = {rr.SECONDLY: "SECONDLY", rr.MINUTELY: "MINUTELY"}
_UNTIL = re.compile(r"(?:^|;)UNTIL=([0-9TZ]+)(?:;|$)")
_DATE_ONLY = re.compile(r"^\d{8}$")
# Clocks differ from UTC by at most 26 hours; anchoring this far before the asked-for
# interval keeps every occurrence that could overlap it.
_ANCHOR_MARGIN = dt.timedelta(days=2)


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


# --- validation ------------------------------------------------------------------------------


def validate_rrule(text: str, start: dt.datetime) -> str:
    """The canonical form of an RRULE value (e.g. 'FREQ=WEEKLY;BYDAY=SU'), or ValueError saying why not.

    `start` is the naive local first occurrence. One RRULE only: no DTSTART (the start is its
    own field), no EXDATE/RDATE, no SECONDLY/MINUTELY frequency, no UTC UNTIL, not both COUNT
    and UNTIL, and it must occur at least once.
    """
    value = text.strip().upper()
    if value.startswith("RRULE:"):
        value = value[len("RRULE:"):]
    if not value:
        raise ValueError("the rule is empty; leave rrule out for a one-off window")
    if len(value) > MAX_RRULE_LENGTH:
        raise ValueError(f"at most {MAX_RRULE_LENGTH} characters")
    if any(c in value for c in "\r\n:"):
        raise ValueError("give one RRULE value such as FREQ=WEEKLY;BYDAY=SU (no DTSTART, EXDATE or RDATE lines)")
    if "DTSTART" in value:
        raise ValueError("DTSTART is not part of the rule; give the first local start as 'start'")
    until = _UNTIL.search(value)
    if until and until.group(1).endswith("Z"):
        raise ValueError(
            "UNTIL is read in each site's local time; write it without 'Z' (e.g. UNTIL=20271231)"
        )
    if until and "COUNT=" in value:
        raise ValueError("use COUNT or UNTIL, not both (RFC 5545)")
    try:
        rule = rr.rrulestr(value, dtstart=start.replace(tzinfo=None))
    except Exception as exc:  # untrusted text: dateutil raises several kinds on malformed rules
        raise ValueError(f"not a valid RFC 5545 RRULE: {exc}") from exc
    if not isinstance(rule, rr.rrule):
        raise ValueError("give one RRULE value such as FREQ=WEEKLY;BYDAY=SU")
    if rule._freq in _REFUSED_FREQS:
        raise ValueError(f"FREQ={_REFUSED_FREQS[rule._freq]} is too frequent for a change window; use HOURLY or longer")
    if rule._count == 0:
        raise ValueError("COUNT must be at least 1")
    if _never_matches(rule):
        raise ValueError("the rule never occurs (no such day in those months)")
    if rule._count is not None or rule._until is not None:
        # Bounded rules must still have an occurrence (e.g. UNTIL before the start).
        until_at = _local_until(value, rule._until) if rule._until else None
        first = rr.rrulestr(value, dtstart=start.replace(tzinfo=None), ignoretz=True)
        first = first.replace(until=until_at) if until_at else first
        if first.after(start.replace(tzinfo=None), inc=True) is None:
            raise ValueError("the rule has no occurrence on or after its start")
    return value


def _never_matches(rule: rr.rrule) -> bool:
    days = rule._original_rule.get("bymonthday")
    months = rule._original_rule.get("bymonth")
    if not days or not months:
        return False
    positive = [d for d in days if d > 0]
    if len(positive) < len(days):
        return False
    longest = max(29 if m == 2 else calendar.monthrange(2001, m)[1] for m in months)
    return bool(min(positive) > longest)


def validate_duration(minutes: int) -> int:
    """A duration between one minute and a year (366 days), or ValueError."""
    if not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise ValueError(f"between 1 and {MAX_DURATION_MINUTES} minutes (366 days)")
    return minutes


def elapsed_minutes(start: dt.datetime, end: dt.datetime, time_zone: str | None) -> int:
    """Minutes from a local start to a local end: real elapsed time in `time_zone`, or wall-clock without one."""
    if time_zone:
        zone = _zone(time_zone)
        delta = end.replace(tzinfo=zone).astimezone(UTC) - start.replace(tzinfo=zone).astimezone(UTC)
    else:
        delta = end - start
    return int(delta.total_seconds() // 60)


# --- expansion -------------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name (cached)."""
    return _zone(name)


def local_start(rule: WindowRule, time_zone: str) -> dt.datetime:
    """The rule's first start as an aware local datetime (fold=0, RFC 5545 reading of gaps and overlaps)."""
    return dt.datetime.combine(rule.start_on, rule.start_time, tzinfo=_zone(time_zone))


def _local_until(value: str, until: dt.datetime) -> dt.datetime:
    match = _UNTIL.search(value)
    if match and _DATE_ONLY.match(match.group(1)):
        return dt.datetime.combine(until.date(), dt.time(23, 59, 59))
    return until


@lru_cache(maxsize=4096)
def _base(text: str, start_on: dt.date, start_time: dt.time, time_zone: str) -> rr.rrule:
    """The parsed rule, aware in the zone (cached: rules are few, checks are many)."""
    zone = _zone(time_zone)
    naive_start = dt.datetime.combine(start_on, start_time)
    value = text.strip().upper().removeprefix("RRULE:")
    rule = rr.rrulestr(value, dtstart=naive_start)
    until = rule._until
    aware_until = _local_until(value, until).replace(tzinfo=zone) if until is not None else None
    return rule.replace(dtstart=naive_start.replace(tzinfo=zone), until=aware_until)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    return day.replace(year=day.year + index // 12, month=index % 12 + 1)


def _shift(base: rr.rrule, target: dt.datetime) -> dt.datetime | None:
    """A later DTSTART with the same recurrence set from there on, at or before local naive `target`.

    Moving DTSTART by whole multiples of FREQ x INTERVAL keeps every implicit part (time of
    day, weekday, day of month, month) and the interval's phase, so the occurrences from the
    new start on are exactly the original ones. Rules where that does not hold keep their start.
    """
    if base._count is not None:
        return None  # COUNT counts from the real start
    start: dt.datetime = base._dtstart
    naive = start.replace(tzinfo=None)
    if target <= naive:
        return None
    step, freq = base._interval, base._freq
    if freq in (rr.DAILY, rr.WEEKLY, rr.HOURLY):
        unit = {rr.DAILY: dt.timedelta(days=1), rr.WEEKLY: dt.timedelta(weeks=1), rr.HOURLY: dt.timedelta(hours=1)}[freq]
        k = int((target - naive) / (unit * step))
        shifted = naive + unit * step * k
    elif freq == rr.MONTHLY and naive.day <= 28:
        months = (target.year - naive.year) * 12 + target.month - naive.month
        k = months // step
        shifted = dt.datetime.combine(_add_months(naive.date(), k * step), naive.time())
        if shifted > target:
            shifted = dt.datetime.combine(_add_months(naive.date(), (k - 1) * step), naive.time())
    elif freq == rr.YEARLY and (naive.month, naive.day) != (2, 29):
        k = (target.year - naive.year) // step
        shifted = naive.replace(year=naive.year + k * step)
        if shifted > target:
            shifted = naive.replace(year=naive.year + (k - 1) * step)
    else:
        return None
    return shifted.replace(tzinfo=start.tzinfo) if shifted > naive else None


@lru_cache(maxsize=8192)
def _anchored(text: str, start_on: dt.date, start_time: dt.time, time_zone: str, near: dt.date) -> rr.rrule:
    """The rule re-anchored to start shortly before local day `near` (same occurrences from there on)."""
    base = _base(text, start_on, start_time, time_zone)
    target = dt.datetime.combine(near, dt.time()) - _ANCHOR_MARGIN
    shifted = _shift(base, target)
    return base.replace(dtstart=shifted) if shifted is not None else base


def _starts(rule: WindowRule, time_zone: str, after: dt.datetime, before: dt.datetime) -> list[dt.datetime]:
    """Aware local starts strictly between two instants."""
    if not rule.rrule:
        start = local_start(rule, time_zone)
        return [start] if after < start < before else []
    near = after.astimezone(_zone(time_zone)).date()
    expanded = _anchored(rule.rrule, rule.start_on, rule.start_time, time_zone, near)
    starts: list[dt.datetime] = expanded.between(after, before)
    return starts


def occurrences(rule: WindowRule, time_zone: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """Occurrences of `rule` in `time_zone` that overlap [start, end), as aware UTC intervals."""
    duration = dt.timedelta(minutes=rule.duration_minutes)
    out = []
    for local in _starts(rule, time_zone, start - duration, end):
        begin = local.astimezone(UTC)
        out.append((begin, begin + duration))
    return out


# Checks come in bulk (readiness of thousands of work orders, many changes): a rule's occurrences
# are expanded once per block of time and each check picks its own from that list.
_BLOCK = dt.timedelta(days=32)
_EPOCH = dt.datetime(2000, 1, 3, tzinfo=UTC)


@lru_cache(maxsize=16384)
def _block_occurrences(
    rule: WindowRule, time_zone: str, block: int
) -> tuple[list[dt.datetime], list[tuple[dt.datetime, dt.datetime]]]:
    """The occurrences overlapping two blocks from block `block` on, and their starts (sorted)."""
    lo = _EPOCH + _BLOCK * block
    found = sorted(occurrences(rule, time_zone, lo, lo + 2 * _BLOCK))
    return [begin for begin, _ in found], found


def overlapping(rule: WindowRule, time_zone: str, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
    """What `occurrences` answers, served from a cached expansion of the block around `start`.

    An occurrence overlaps [start, end) when it begins in (start - duration, end); the block's
    list holds every occurrence beginning in (block start - duration, block start + 2 blocks), a
    superset whenever `end` is inside the second block (longer intervals are expanded directly).
    """
    block = (start - _EPOCH) // _BLOCK
    if end > _EPOCH + _BLOCK * (block + 2):
        return occurrences(rule, time_zone, start, end)
    begins, found = _block_occurrences(rule, time_zone, block)
    duration = dt.timedelta(minutes=rule.duration_minutes)
    return found[bisect_right(begins, start - duration) : bisect_left(begins, end)]


def next_occurrences(
    rule: WindowRule, time_zone: str, after: dt.datetime, count: int = 5
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The next `count` occurrences still running at or after `after`, as aware local intervals."""
    duration = dt.timedelta(minutes=rule.duration_minutes)
    if not rule.rrule:
        begin = local_start(rule, time_zone).astimezone(UTC)  # aware + timedelta is wall-clock: go via UTC
        zone = _zone(time_zone)
        return [(begin.astimezone(zone), (begin + duration).astimezone(zone))] if begin + duration > after else []
    near = (after - duration).astimezone(_zone(time_zone)).date()
    expanded = _anchored(rule.rrule, rule.start_on, rule.start_time, time_zone, near)
    out: list[tuple[dt.datetime, dt.datetime]] = []
    cursor = after - duration
    while len(out) < count:
        found = expanded.after(cursor)
        if found is None:
            break
        begin = found.astimezone(UTC)  # normalised: a start in a gap shows its real local time
        out.append((begin.astimezone(found.tzinfo), (begin + duration).astimezone(found.tzinfo)))
        cursor = found
    return out


# --- evaluation ------------------------------------------------------------------------------


def applicable(site: SiteCalendar, rules: list[WindowRule]) -> list[WindowRule]:
    """Rules that govern a site: its own, its region's, and those of any client it serves."""
    return [
        r for r in rules
        if (r.site_id is not None and r.site_id == site.id)
        or (r.region_id is not None and r.region_id == site.region_id)
        or (r.client_id is not None and r.client_id in site.client_ids)
    ]


def check(
    window_start: dt.datetime, window_end: dt.datetime, sites: list[SiteCalendar], rules: list[WindowRule]
) -> list[WindowViolation]:
    """Violations of a change window [start, end) at every affected site.

    A freeze occurrence overlapping the window is a violation. When a site has any window
    rules, the change must lie entirely inside one occurrence of one of them; a site with no
    window rules allows change at any time outside freezes.
    """
    found: list[WindowViolation] = []
    for site in sites:
        governing = applicable(site, rules)
        freezes = [r for r in governing if r.kind == "freeze"]
        windows = [r for r in governing if r.kind == "window"]
        for rule in freezes:
            hits = overlapping(rule, site.time_zone, window_start, window_end)
            if hits:
                found.append(_freeze_violation(site, rule, window_start, window_end, hits[0]))
        if windows:
            violation = _window_violation(site, windows, window_start, window_end)
            if violation is not None:
                found.append(violation)
    return found


def _freeze_violation(
    site: SiteCalendar, rule: WindowRule, start: dt.datetime, end: dt.datetime, hit: tuple[dt.datetime, dt.datetime]
) -> WindowViolation:
    detail = (
        f"{site.code}: the change ({describe_interval(start, end, site.time_zone)}) falls in the freeze "
        f"'{rule.name}' ({describe_interval(*hit, site.time_zone, long=True)})"
    )
    return WindowViolation(site.id, site.code, rule.id, rule.name, "freeze", detail)


def _window_violation(
    site: SiteCalendar, windows: list[WindowRule], start: dt.datetime, end: dt.datetime
) -> WindowViolation | None:
    """None when one occurrence of one window holds the whole change, else the nearest occurrence named."""
    nearest: tuple[float, WindowRule, tuple[dt.datetime, dt.datetime]] | None = None
    for rule in windows:
        hits = overlapping(rule, site.time_zone, start, end)
        if any(s <= start and end <= e for s, e in hits):
            return None
        candidates = hits or [
            (s.astimezone(UTC), e.astimezone(UTC)) for s, e in next_occurrences(rule, site.time_zone, end, 1)
        ]
        for s, e in candidates:
            distance = 0.0 if hits else (s - end).total_seconds()
            if nearest is None or distance < nearest[0]:
                nearest = (distance, rule, (s, e))
    change = describe_interval(start, end, site.time_zone)
    if nearest is None:
        names = ", ".join(f"'{r.name}'" for r in windows)
        detail = f"{site.code}: the change ({change}) is outside every change window ({names} have no occurrence then)"
        return WindowViolation(site.id, site.code, None, names, "outside_window", detail)
    _, rule, (s, e) = nearest
    relation = "overlaps but does not fit inside" if nearest[0] == 0.0 else "is outside every change window; the next is"
    detail = f"{site.code}: the change ({change}) {relation} the window '{rule.name}' ({describe_interval(s, e, site.time_zone)})"
    return WindowViolation(site.id, site.code, rule.id, rule.name, "outside_window", detail)


def describe_interval(start: dt.datetime, end: dt.datetime, time_zone: str, *, long: bool = False) -> str:
    """'Sat 14 Dec 22:00–Sun 15 Dec 02:00 Europe/London'; long intervals: '15 Dec 00:00 – 5 Jan 00:00 Europe/London'."""
    zone = _zone(time_zone)
    a, b = start.astimezone(zone), end.astimezone(zone)
    if long and (b - a) >= dt.timedelta(days=1):
        year = a.year != b.year
        fmt = "{d.day} {d:%b} {y}{d:%H:%M}"
        left = fmt.format(d=a, y=f"{a.year} " if year else "")
        right = fmt.format(d=b, y=f"{b.year} " if year else "")
        return f"{left} – {right} {time_zone}"
    left = f"{a:%a} {a.day} {a:%b %H:%M}"
    right = f"{b:%H:%M}" if a.date() == b.date() else f"{b:%a} {b.day} {b:%b %H:%M}"
    return f"{left}–{right} {time_zone}"
