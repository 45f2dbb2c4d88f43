"""Business-time arithmetic on a site's calendar: pure (stdlib and zoneinfo only), fast, exact.

A `Calendar` is a site's IANA time zone, its weekly business hours in the site format
(``{"mon": [["08:00", "18:00"]], ..., "sun": []}``, local wall-clock times, "24:00" allowed as
an end; a missing weekday is closed) and its holidays (local dates closed all day). Everything
is measured in real (UTC) seconds during which the site is open.

API (instants are aware datetimes; a naive one, without tzinfo, raises ValueError):

- ``elapsed(cal, start, end, pauses=()) -> int | float``: business seconds in [start, end), 0 if
  end <= start, less the business seconds inside the pauses. Pauses are (start, end) instants;
  they may overlap each other, come in any order (ordered by start is fastest), reach outside
  [start, end], or be open-ended (end None: still paused). A pause whose end is not after its
  start is empty. An int when the result is whole, else a float rounded to the microsecond.
- ``due(cal, start, seconds, pauses=()) -> datetime | None``: the earliest instant (UTC) at which
  `seconds` business seconds will have elapsed since `start`, the clock standing still during
  the pauses; the inverse of `elapsed`: ``elapsed(cal, a, due(cal, a, n, p), p) == n``. `start`
  itself for 0 seconds. None when an open-ended pause stops the clock before then. ValueError
  for negative seconds, or when the calendar has no business time left before `MAX_YEAR` ends.
- ``cal.elapsed_s(a, b, pauses=())`` and ``cal.due_s(a, n, pauses=())``: the same on POSIX
  epoch seconds (floats; pauses as (float, float | None) pairs), for bulk recomputation.
  Results are exact for whole-second inputs; with fractions, to about a microsecond.
- ``Calendar.twenty_four_seven()``: always open (a shared instance: ``TWENTY_FOUR_SEVEN``).

How it is fast: per calendar, the open intervals of whole local years are converted once into
one sorted list of UTC epoch boundaries [s0, e0, s1, e1, ...] with the business seconds
accumulated at each boundary. The business time before an instant is then one `bisect` (C)
plus one subtraction, `elapsed` is two of them, and `due` is the same lookup run backwards
(a `bisect` on the accumulated seconds). A query outside the years built so far extends the
range by whole years (under a lock; readers see either the old or the new tables, never a
mix). About 0.6 µs per query on one core of the project's machine, 3 µs with ten pauses
(epoch API; bench/sla.py). `holidays` is a set of dates or a callable ``holidays(year) -> iterable of dates`` asked
once per year as the range grows (see `rules.calendar_for`). Years from `MIN_YEAR` to
`MAX_YEAR` are supported; outside them ValueError.

Daylight saving time and other offset changes: each interval boundary is the first instant
at which the site's wall clock shows that time or a later one. So:

- a boundary in a spring-forward gap (London 01:30 on 2026-03-29) moves to the first valid
  instant, the transition itself (01:00 UTC, when the clock jumps to 02:00);
- a boundary in a fall-back overlap (London 01:30 on 2026-10-25, shown twice) is its first
  occurrence (BST, 00:30 UTC), so 01:30-03:00 that night is 2.5 real hours;
- an interval is the one stretch of real time between its two boundaries, so it lasts its
  wall-clock length except when it spans the change: 00:00-24:00 is 23 real hours on a
  spring-forward day and 25 on a fall-back day, while 09:00-17:00 in London is always 8 hours
  (the change happens at night). A 24x7 calendar is open all the time.

The site format does not allow an interval to cross midnight: an overnight shift is the end of
one day and the start of the next (``"mon": [["22:00", "24:00"]], "tue": [["00:00", "06:00"]]``);
adjacent intervals join, so the shift is one stretch. Each part belongs to its own local date,
so a holiday closes only its own date's part.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import pairwise
from operator import itemgetter
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MIN_YEAR, MAX_YEAR = 1900, 2299
UTC = dt.UTC
_DAY = dt.timedelta(days=1)
# Instants whose local year is within [MIN_YEAR, MAX_YEAR] in every zone (offsets are < 1 day).
_T_MIN = dt.datetime(MIN_YEAR, 1, 2, tzinfo=UTC).timestamp()
_T_MAX = dt.datetime(MAX_YEAR, 12, 30, tzinfo=UTC).timestamp()
_INF = math.inf
_by_start = itemgetter(0)

Pause = tuple[dt.datetime, dt.datetime | None]
EpochPause = tuple[float, float | None]
Holidays = Callable[[int], Iterable[dt.date]] | Iterable[dt.date]
_Tables = tuple[float, float, list[float], list[float]]


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    if len(hhmm) != 5 or not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"not a HH:MM time: {hhmm!r}")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > 24 * 60:
        raise ValueError(f"not a time of day: {hhmm!r}")
    return value


def _parse_hours(hours: Mapping[str, Sequence[Sequence[str]]]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Per weekday (Monday first) the sorted, disjoint (start, end) minutes of the day."""
    unknown = set(hours) - set(WEEKDAYS)
    if unknown:
        raise ValueError(f"unknown weekday key(s): {', '.join(sorted(map(str, unknown)))}")
    week = []
    for day in WEEKDAYS:
        spans = sorted((_minutes(a), _minutes(b)) for a, b in hours.get(day, ()))
        for start, end in spans:
            if start >= end:
                raise ValueError(f"{day}: an interval ends before it starts")
        for (_, end), (start, _) in pairwise(spans):
            if start < end:
                raise ValueError(f"{day}: intervals overlap")
        week.append(tuple(spans))
    return tuple(week)


def _no_holidays(year: int) -> Iterable[dt.date]:
    return ()


class Calendar:
    """A site's business time: zone, weekly hours, holidays; answers elapsed and due queries."""

    def __init__(self, time_zone: str | ZoneInfo, hours: Mapping[str, Sequence[Sequence[str]]],
                 holidays: Holidays = ()) -> None:
        self.zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
        self.time_zone = str(self.zone.key)
        self._week = _parse_hours(hours)
        if callable(holidays):
            self._holidays_for: Callable[[int], Iterable[dt.date]] = holidays
        else:
            fixed = frozenset(holidays)
            self._holidays_for = (lambda year: fixed) if fixed else _no_holidays
        self.weekly_seconds = 60 * sum(end - start for day in self._week for start, end in day)
        self._lock = threading.Lock()
        self._years: dict[int, list[tuple[float, float]]] = {}
        self._span = (0, -1)  # the local years the tables cover
        # (lo, hi, bounds, cum): covered instants [lo, hi]; bounds = [lo, lo, s0, e0, s1, e1, ...]
        # (a zero-length interval first, so every covered instant has a boundary at or before
        # it); cum[i] = business seconds up to bounds[i], counted from a fixed origin so values
        # stay valid when the range grows.
        self._tables: _Tables = (_INF, -_INF, [], [])

    @classmethod
    def twenty_four_seven(cls) -> Calendar:
        """Open every second of every day."""
        return cls("UTC", {day: [["00:00", "24:00"]] for day in WEEKDAYS})

    def __repr__(self) -> str:
        return f"<Calendar {self.time_zone} {self.weekly_seconds / 3600:g} h/week>"

    # --- queries on epoch seconds -----------------------------------------------------------

    def elapsed_s(self, a: float, b: float, pauses: Sequence[EpochPause] = ()) -> float:
        """Business seconds in [a, b) less those inside the pauses; 0.0 if b <= a."""
        if b <= a:
            return 0.0
        lo, hi, bounds, cum = self._tables
        if not (lo <= a and b <= hi):
            lo, hi, bounds, cum = self._cover(a, b)
        kb = bisect_right(bounds, b) - 1
        total = cum[kb] if kb & 1 else cum[kb] + (b - bounds[kb])
        ka = bisect_right(bounds, a) - 1
        total -= cum[ka] if ka & 1 else cum[ka] + (a - bounds[ka])
        if pauses:
            total -= self._paused(a, b, pauses, bounds, cum, ka + 1, kb + 1)
            if total < 0.0:  # float noise on fractional inputs
                total = 0.0
        return total

    def _paused(self, a: float, b: float, pauses: Sequence[EpochPause],
                bounds: list[float], cum: list[float], lo: int, hi: int) -> float:
        """Business seconds in the union of the pauses, clipped to [a, b].

        Every instant in [a, b] has its boundary index in bounds[lo - 1:hi], so the searches
        stay in that slice (a few dozen entries for a ticket's span, not the whole range).
        """
        find = bisect_right
        paused = 0.0
        counted_to = a  # pause time before this instant is already counted
        last_start = -_INF  # the start of the last pause counted
        for ps, pe in pauses:
            if pe is None or pe > b:
                pe = b
            start = ps
            if ps < counted_to:
                if ps < last_start:  # not ordered by start: the union needs them ordered
                    return self._paused(a, b, sorted(pauses, key=_by_start), bounds, cum, lo, hi)
                start = counted_to
            if pe > start:
                k = find(bounds, start, lo, hi) - 1
                paused -= cum[k] if k & 1 else cum[k] + (start - bounds[k])
                k = find(bounds, pe, k + 1, hi) - 1
                paused += cum[k] if k & 1 else cum[k] + (pe - bounds[k])
                counted_to, last_start = pe, ps
        return paused

    def due_s(self, a: float, n: float, pauses: Sequence[EpochPause] = ()) -> float | None:
        """The earliest instant at which n business seconds have elapsed since a (see `due`)."""
        if not 0 < n < _INF:
            if n == 0:
                return a
            raise ValueError(f"business seconds must be finite and not negative, got {n}")
        if self.weekly_seconds == 0:
            raise ValueError("this calendar has no business hours")
        lo, hi, bounds, cum = self._tables
        if not lo <= a <= hi:
            lo, hi, bounds, cum = self._cover(a, a)
        k = bisect_right(bounds, a) - 1
        target = (cum[k] if k & 1 else cum[k] + (a - bounds[k])) + n
        if pauses:
            shifted = self._target_after_pauses(a, target, pauses)
            if shifted is None:
                return None
            target = shifted
            bounds, cum = self._tables[2:]
        j = bisect_left(cum, target)
        if j == len(cum):
            bounds, cum = self._reach(target)
            j = bisect_left(cum, target)
        # cum[j - 1] < target <= cum[j]: j is the end of the interval in which target falls.
        return bounds[j] - (cum[j] - target)

    def _target_after_pauses(self, a: float, target: float,
                             pauses: Sequence[EpochPause]) -> float | None:
        """The business-time target moved on by each pause that starts before it is reached."""
        at, given = a, target  # the clock runs from `at`
        previous = -_INF
        reached = False
        for ps, pe in pauses:
            if ps < previous:  # not ordered by start: an earlier pause may come later
                return self._target_after_pauses(a, given, sorted(pauses, key=_by_start))
            previous = ps
            if reached or (pe is not None and pe <= at):
                continue
            if ps < at:
                ps = at
            before = self._business_before(ps)
            if before >= target:
                reached = True  # before this pause starts (the rest only checked for order)
                continue
            if pe is None:
                return None  # paused for good before the target
            target += self._business_before(pe) - before
            at = pe
        return target

    def business_at_s(self, t: float) -> float:
        """Business seconds from the calendar's origin to t: ``elapsed_s(a, b) == business_at_s(b) -
        business_at_s(a)`` for a <= b. With `instant_at_s`, the primitives of bulk recomputation
        (several targets of one object share the lookups)."""
        return self._business_before(t)

    def instant_at_s(self, total: float) -> float:
        """The earliest instant at which `business_at_s` reaches `total` (its inverse):
        ``due_s(a, n) == instant_at_s(business_at_s(a) + n)`` for n > 0."""
        if self.weekly_seconds == 0:
            raise ValueError("this calendar has no business hours")
        bounds, cum = self._tables[2:]
        j = bisect_left(cum, total)
        if j == len(cum):
            bounds, cum = self._reach(total)
            j = bisect_left(cum, total)
        return bounds[j] - (cum[j] - total)

    def _business_before(self, t: float) -> float:
        """Business seconds from the origin to t, extending the tables when needed."""
        lo, hi, bounds, cum = self._tables
        if not lo <= t <= hi:
            lo, hi, bounds, cum = self._cover(t, t)
        k = bisect_right(bounds, t) - 1
        return cum[k] if k & 1 else cum[k] + (t - bounds[k])

    # --- building the tables ----------------------------------------------------------------

    def _cover(self, a: float, b: float) -> _Tables:
        """Tables covering [a, b], built by whole local years."""
        if not (_T_MIN <= a <= _T_MAX and _T_MIN <= b <= _T_MAX):
            raise ValueError(f"business time is computed for the years {MIN_YEAR} to {MAX_YEAR}")
        with self._lock:
            while True:
                tables = self._tables
                if tables[0] <= a and b <= tables[1]:
                    return tables
                y0, y1 = self._span
                ya = dt.datetime.fromtimestamp(a, self.zone).year
                yb = dt.datetime.fromtimestamp(b, self.zone).year
                if y0 > y1:
                    y0, y1 = ya, yb
                elif tables[0] <= a:
                    y1 = max(y1 + 1, yb)
                else:
                    y0 = min(y0 - 1, ya)
                    y1 = max(y1, yb)
                self._rebuild(max(MIN_YEAR, y0), min(MAX_YEAR, y1))

    def _reach(self, target: float) -> tuple[list[float], list[float]]:
        """Tables extended forward until `target` business seconds (from the origin) are in them."""
        with self._lock:
            while True:
                _, _, bounds, cum = self._tables
                if cum[-1] >= target:
                    return bounds, cum
                y0, y1 = self._span
                if y1 >= MAX_YEAR:
                    raise ValueError(f"no such business time before the end of {MAX_YEAR}")
                years = math.ceil((target - cum[-1]) / (self.weekly_seconds * 48))
                self._rebuild(y0, min(MAX_YEAR, y1 + max(1, years)))

    def _rebuild(self, y0: int, y1: int) -> None:
        """Flatten the open intervals of local years y0..y1 into new tables (caller holds the lock)."""
        bounds: list[float] = []
        for year in range(y0, y1 + 1):
            if year not in self._years:
                self._years[year] = self._open_intervals(year)
            for start, end in self._years[year]:
                if bounds and bounds[-1] == start:
                    bounds[-1] = end  # adjacent: one stretch
                else:
                    bounds += (start, end)
        lo = self._first_instant(dt.date(y0, 1, 1), 0)
        hi = self._first_instant(dt.date(y1 + 1, 1, 1), 0)
        bounds[:0] = (lo, lo)
        cum = [0.0] * len(bounds)
        total = 0.0
        for i in range(2, len(bounds), 2):
            cum[i] = total
            total += bounds[i + 1] - bounds[i]
            cum[i + 1] = total
        old_lo, _, old_bounds, old_cum = self._tables
        if old_bounds:  # keep the origin: business time before old_lo is unchanged
            k = bisect_right(bounds, old_lo) - 1
            here = cum[k] if k & 1 else cum[k] + (old_lo - bounds[k])
            shift = old_cum[0] - here
            cum = [c + shift for c in cum]
        self._span = (y0, y1)
        self._tables = (lo, hi, bounds, cum)

    def _open_intervals(self, year: int) -> list[tuple[float, float]]:
        """The open (start, end) epoch instants of one local year, in order."""
        closed = set(self._holidays_for(year))
        out: list[tuple[float, float]] = []
        day = dt.date(year, 1, 1)
        while day.year == year:
            spans = self._week[day.weekday()]
            if spans and day not in closed:
                for start, end in spans:
                    s, e = self._first_instant(day, start), self._first_instant(day, end)
                    if e > s:  # both in one spring-forward gap: nothing left
                        out.append((s, e))
            day += _DAY
        return out

    def _first_instant(self, day: dt.date, minute: int) -> float:
        """The first instant at which the local wall clock shows `minute` of `day` or later."""
        if minute == 24 * 60:
            day, minute = day + _DAY, 0
        local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=self.zone)
        t = local.timestamp()  # fold=0: the first occurrence of an ambiguous time
        wall = local.replace(tzinfo=None)
        if dt.datetime.fromtimestamp(t, self.zone).replace(tzinfo=None) == wall:
            return t
        # In a gap: the instant of the jump, found between the readings with either offset.
        before, after = math.floor(local.replace(fold=1).timestamp()), math.ceil(t)
        if before > after:
            before, after = after, before
        while after - before > 1:
            mid = (before + after) // 2
            if dt.datetime.fromtimestamp(mid, self.zone).replace(tzinfo=None) >= wall:
                after = mid
            else:
                before = mid
        return float(after)


TWENTY_FOUR_SEVEN = Calendar.twenty_four_seven()


def _naive(at: dt.datetime) -> float:
    raise ValueError(f"{at.isoformat()} has no UTC offset: give an aware datetime")


def _epoch(at: dt.datetime) -> float:
    return at.timestamp() if at.tzinfo is not None else _naive(at)


def _epoch_pauses(pauses: Iterable[Pause]) -> list[EpochPause]:
    return [
        (ps.timestamp() if ps.tzinfo is not None else _naive(ps),
         None if pe is None else pe.timestamp() if pe.tzinfo is not None else _naive(pe))
        for ps, pe in pauses
    ]


def elapsed(cal: Calendar, start: dt.datetime, end: dt.datetime, pauses: Iterable[Pause] = ()) -> int | float:
    """Business seconds in [start, end) less those inside the pauses (see the module docstring)."""
    a, b = _epoch(start), _epoch(end)
    seconds = cal.elapsed_s(a, b, _epoch_pauses(pauses) if pauses else ())
    seconds = round(seconds, 6)
    return int(seconds) if seconds.is_integer() else seconds


def due(cal: Calendar, start: dt.datetime, seconds: float, pauses: Iterable[Pause] = ()) -> dt.datetime | None:
    """The earliest instant (UTC) at which `seconds` business seconds will have elapsed (see above)."""
    t = cal.due_s(_epoch(start), seconds, _epoch_pauses(pauses) if pauses else ())
    return None if t is None else dt.datetime.fromtimestamp(t, UTC)
