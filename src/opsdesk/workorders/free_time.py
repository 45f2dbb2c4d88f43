"""Pure arithmetic of free time: the parts of a window that permitted hours leave open and freezes
do not close, and whether a piece of work fits in one of them. Shared by readiness (does it fit,
and where?) and dispatch (the visit's time windows), so both judge the same intervals.

Decisions:

- Intervals are half-open [start, end) of aware instants; freezes and permitted hours are
  expanded into instants in the site's own zone by their owners (changes.windows.rules, eligibility's
  `stretches`) before they come here, so comparing here is comparing real elapsed time and a
  daylight-saving change cannot stretch or shrink a free interval.
- Every permitted-hours rule must allow the time (their intersection); every freeze closes it.
- Work fits when one free interval is at least as long as the work: a visit is never split
  across a freeze or a gap in the permitted hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .eligibility import zone

Span = tuple[dt.datetime, dt.datetime]


@dataclass(frozen=True)
class Closure:
    """A stretch of time closed to the work (one occurrence of a freeze), and the rule behind it."""

    start: dt.datetime
    end: dt.datetime
    rule_id: int | None = None
    name: str = ""


def _merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for lo, hi in sorted(s for s in spans if s[1] > s[0]):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _within(spans: list[Span], allowed: Sequence[Span]) -> list[Span]:
    cut = [(max(a, c), min(b, d)) for a, b in spans for c, d in _merge(allowed)]
    return _merge(s for s in cut if s[1] > s[0])


def _without(spans: list[Span], closed: Span) -> list[Span]:
    c_lo, c_hi = closed
    out: list[Span] = []
    for lo, hi in spans:
        if c_hi <= lo or c_lo >= hi:
            out.append((lo, hi))
            continue
        if lo < c_lo:
            out.append((lo, c_lo))
        if c_hi < hi:
            out.append((c_hi, hi))
    return out


def free_intervals(
    start: dt.datetime, end: dt.datetime, *, permitted: Sequence[Sequence[Span]] = (), closed: Iterable[Span] = (),
) -> list[Span]:
    """The parts of [start, end) inside every one of `permitted` (each a rule's open stretches) and outside every `closed`, in order."""
    free = [(start, end)] if end > start else []
    for allowed in permitted:
        free = _within(free, allowed)
    for span in closed:
        free = _without(free, span)
    return free


def fitting(free: Sequence[Span], duration: dt.timedelta) -> list[Span]:
    """The free intervals long enough to hold `duration`, in order (the first is the earliest place for the work)."""
    return [(lo, hi) for lo, hi in free if hi - lo >= duration]


def clock_words(span: Span, time_zone: str, day_of: dt.datetime) -> str:
    """'19:00–21:00' in the zone, with weekdays where a side is not on the local day of `day_of`."""
    tz = zone(time_zone)
    day = day_of.astimezone(tz).date()
    a, b = span[0].astimezone(tz), span[1].astimezone(tz)
    left = f"{a:%H:%M}" if a.date() == day else f"{a:%a %H:%M}"
    right = f"{b:%H:%M}" if b.date() == a.date() else f"{b:%a %H:%M}"
    return f"{left}–{right}"


def minutes_words(duration: dt.timedelta) -> str:
    """'60 minutes' / '1 minute'."""
    minutes = int(duration.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
