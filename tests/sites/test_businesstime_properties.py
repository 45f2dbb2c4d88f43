"""Properties of business time, and agreement with a slow reference that walks day by day.

The reference knows only the documented rule: on each local date that is not a holiday, each
interval [S, E) of that weekday is open from the first instant at which the wall clock shows
S or later to the first at which it shows E or later; it finds those instants by stepping
through real time minute by minute, and counts seconds by clipping intervals.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.sites import businesstime as bt
from opsdesk.sites import rules
from tests.sites.calendars import CALENDARS, cal

UTC = dt.UTC
DAY = 86400
NAMES = ["london", "new_york", "kolkata", "sydney", "london_split", "london_24x7", "london_sun_night",
         "sydney_sun_night", "new_york_sun_night", "london_sun_0130", "new_york_sun_0130", "london_overnight"]
CHANGES = [  # local DST changes of the four sites in 2026 and 2027, as UTC instants
    "2026-03-29T01:00", "2026-10-25T01:00", "2026-03-08T07:00", "2026-11-01T06:00", "2026-04-04T16:00",
    "2026-10-03T16:00", "2027-03-28T01:00", "2027-10-31T01:00", "2027-03-14T07:00", "2027-11-07T06:00",
]
FIRST, LAST = int(dt.datetime(2025, 12, 1, tzinfo=UTC).timestamp()), int(dt.datetime(2028, 1, 31, tzinfo=UTC).timestamp())
PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- the reference ------------------------------------------------------------------------


def _wall(t: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, zone).replace(tzinfo=None)


@cache
def _first_instant(zone_name: str, day: dt.date, minute: int) -> int:
    """The first whole minute of real time at which the wall clock shows day+minute or later."""
    zone = ZoneInfo(zone_name)
    target = dt.datetime(day.year, day.month, day.day) + dt.timedelta(minutes=minute)
    t = int(target.replace(tzinfo=UTC).timestamp()) - 16 * 3600  # before it in every zone
    t -= t % 60
    assert _wall(t, zone) < target
    while _wall(t, zone) < target:
        t += 60
    return t


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


@cache
def _open_on(name: str, day: dt.date) -> tuple[tuple[int, int], ...]:
    zone, hours, country, subdivision = CALENDARS[name]
    if rules.is_holiday(country, subdivision, day):
        return ()
    spans = hours.get(rules.WEEKDAYS[day.weekday()], [])
    return tuple((_first_instant(zone, day, _minutes(s)), _first_instant(zone, day, _minutes(e))) for s, e in spans)


def _clip(spans, a: int, b: int) -> list[tuple[int, int]]:
    return [(max(s, a), min(e, b)) for s, e in spans if min(e, b) > max(s, a)]


def ref_elapsed(name: str, a: int, b: int, pauses=()) -> int:
    if b <= a:
        return 0
    zone = ZoneInfo(CALENDARS[name][0])
    day, last = dt.datetime.fromtimestamp(a, zone).date() - dt.timedelta(days=1), dt.datetime.fromtimestamp(b, zone).date()
    opened: list[tuple[int, int]] = []
    while day <= last + dt.timedelta(days=1):
        opened += _clip(_open_on(name, day), a, b)
        day += dt.timedelta(days=1)
    merged: list[list[int]] = []  # the union of the pauses inside [a, b]
    for s, e in sorted(_clip([(s, b if e is None else e) for s, e in pauses], a, b)):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    total = 0
    for s, e in opened:
        total += e - s
        for ps, pe in merged:
            total -= max(0, min(e, pe) - max(s, ps))
    return total


def ref_due(name: str, a: int, n: int, pauses=()) -> int | None:
    """The first whole second at which the reference has counted n business seconds."""
    lo, hi = a, a + DAY
    while ref_elapsed(name, a, hi, pauses) < n:
        if hi - a > 400 * DAY:
            return None
        lo, hi = hi, a + 2 * (hi - a)
    while lo < hi:
        mid = (lo + hi) // 2
        if ref_elapsed(name, a, mid, pauses) >= n:
            hi = mid
        else:
            lo = mid + 1
    return lo


# --- strategies ---------------------------------------------------------------------------

_near_changes = st.builds(
    lambda change, offset: int(dt.datetime.fromisoformat(change).replace(tzinfo=UTC).timestamp()) + offset,
    st.sampled_from(CHANGES), st.integers(-3 * DAY, 3 * DAY),
)
instants = st.one_of(st.integers(FIRST, LAST), _near_changes)
spans = st.one_of(st.integers(0, 3 * DAY), st.integers(0, 12 * DAY))


@st.composite
def pause_lists(draw, a: int, b: int, max_size: int = 10):
    """Up to ten pauses around [a, b]: overlapping, out of order, reaching outside, open-ended."""
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(st.integers(a - DAY, b + DAY))
        length = draw(st.one_of(st.none(), st.integers(0, 3 * DAY)))
        out.append((start, None if length is None else start + length))
    return out


def epoch(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, UTC)


# --- properties ---------------------------------------------------------------------------


@PROPS
@given(st.sampled_from(NAMES), instants, spans, st.data())
def test_agrees_with_the_reference(name, a, span, data):
    b = a + span
    pauses = data.draw(pause_lists(a, b, max_size=4))
    calendar = cal(name)
    assert calendar.elapsed_s(a, b, pauses) == ref_elapsed(name, a, b, pauses)
    n = data.draw(st.integers(0, 3 * DAY))
    assert calendar.due_s(a, n, pauses) == ref_due(name, a, n, pauses)


@PROPS
@given(st.sampled_from(NAMES), instants, spans, spans, st.data())
def test_monotonic_and_additive(name, a, ab, bc, data):
    b, c = a + ab, a + ab + bc
    pauses = data.draw(pause_lists(a, c))
    calendar = cal(name)
    whole = calendar.elapsed_s(a, c, pauses)
    assert calendar.elapsed_s(a, b, pauses) <= whole
    assert calendar.elapsed_s(a, b, pauses) + calendar.elapsed_s(b, c, pauses) == whole
    assert 0 <= whole <= calendar.elapsed_s(a, c) <= c - a


@PROPS
@given(st.sampled_from(NAMES), instants, spans, st.integers(0, 10 * DAY), st.integers(0, DAY))
def test_zero_inside_a_pause(name, a, span, before, after):
    b = a + span
    calendar = cal(name)
    assert calendar.elapsed_s(a, b, [(a - before, b + after)]) == 0
    assert calendar.elapsed_s(a, b, [(a - before, None)]) == 0
    assert calendar.elapsed_s(a, b, [(a, a + span // 2), (a + span // 3, b)]) == 0


@PROPS
@given(st.sampled_from(NAMES), instants, st.floats(0, 1), st.floats(0, 1))
def test_zero_when_closed(name, t, x, y):
    """Between a closing and the next opening (from the reference), nothing elapses."""
    zone = ZoneInfo(CALENDARS[name][0])
    day = dt.datetime.fromtimestamp(t, zone).date()
    opened: list[list[int]] = []
    for i in range(-8, 40):
        for s, e in _open_on(name, day + dt.timedelta(days=i)):
            if opened and opened[-1][1] == s:
                opened[-1][1] = e
            elif e > s:
                opened.append([s, e])
    gaps = [(e, s) for (_, e), (s, _) in pairwise(opened) if s > t]
    if not gaps:
        assert name.endswith("24x7")
        return
    closes, reopens = gaps[0]
    a, b = closes + int((reopens - closes) * min(x, y)), closes + int((reopens - closes) * max(x, y))
    calendar = cal(name)
    assert calendar.elapsed_s(closes, reopens) == 0
    assert calendar.elapsed_s(a, b) == 0
    assert calendar.elapsed_s(closes - 1, reopens + 1) == 2  # open on either side


@PROPS
@given(st.sampled_from(NAMES), instants, st.integers(0, 20 * DAY), st.data())
def test_due_inverts_elapsed_and_is_the_earliest(name, a, n, data):
    pauses = data.draw(st.one_of(st.just([]), pause_lists(a, a + 30 * DAY)))
    calendar = cal(name)
    due = calendar.due_s(a, n, pauses)
    if due is None:
        assert any(e is None for _, e in pauses)
        assert calendar.elapsed_s(a, a + 400 * DAY, pauses) < n
        return
    assert due >= a and due == int(due)
    assert calendar.elapsed_s(a, due, pauses) == n
    if n:
        assert calendar.elapsed_s(a, due - 1, pauses) == n - 1  # the earliest: one second before, one short
    # and the datetime API says the same, in UTC
    assert bt.due(calendar, epoch(a), n, [(epoch(s), None if e is None else epoch(e)) for s, e in pauses]) == (
        None if due is None else epoch(due)
    )


@PROPS
@given(st.sampled_from(NAMES), instants, spans, st.integers(0, 999_999), st.integers(0, 999_999))
def test_datetimes_with_microseconds(name, a, span, us_a, us_b):
    calendar = cal(name)
    start = epoch(a) + dt.timedelta(microseconds=us_a)
    end = epoch(a + span) + dt.timedelta(microseconds=us_b)
    got = bt.elapsed(calendar, start, end)
    assert abs(got - calendar.elapsed_s(start.timestamp(), end.timestamp())) < 1e-6
    # seconds of the same stretch counted by the minute-stepping reference, within the sub-second parts
    assert abs(got - ref_elapsed(name, a, a + span)) <= 2
    due = bt.due(calendar, start, got)
    assert due is not None and abs(bt.elapsed(calendar, start, due) - got) < 1e-5
