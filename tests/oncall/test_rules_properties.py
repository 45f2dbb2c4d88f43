"""Property tests of on-call expansion against a brute-force walk of the local clock.

The brute force knows nothing of shifts or zoneinfo conversions of wall times: it walks real
time in 15-minute steps, reads the local clock at each instant, and keeps the latest reading so
far (a wall-clock boundary has happened once the clock has shown that time or later). From that
reading alone it says which shift of each layer runs and whether a restriction allows it. Starts
are chosen within days of the clock changes of four zones (two northern, one southern, one
without DST).
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.oncall import rules

UTC = dt.UTC
STEP = dt.timedelta(minutes=15)
CHANGES = {
    "Europe/London": [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
    "America/New_York": [dt.date(2026, 3, 8), dt.date(2026, 11, 1)],
    "Australia/Sydney": [dt.date(2026, 4, 5), dt.date(2026, 10, 4)],
    "Asia/Kolkata": [dt.date(2026, 3, 29), dt.date(2026, 10, 25)],
}
HOURS = [1, 6, 8, 11.5, 12, 13, 24, 48]
times = st.builds(dt.time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def restrictions(draw: st.DrawFn) -> tuple[rules.Restriction, ...]:
    count = draw(st.integers(0, 2))
    return tuple(
        rules.Restriction(tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1)))), draw(times), draw(times))
        for _ in range(count)
    )


@st.composite
def schedules(draw: st.DrawFn) -> tuple[rules.CompiledSchedule, dt.datetime, dt.datetime]:
    name = draw(st.sampled_from(sorted(CHANGES)))
    change = draw(st.sampled_from(CHANGES[name]))
    start_day = change + dt.timedelta(days=draw(st.integers(-3, 1)))
    start = dt.datetime.combine(start_day, draw(times), tzinfo=UTC)
    end = start + dt.timedelta(hours=draw(st.integers(6, 96)))
    layers = []
    for i in range(draw(st.integers(1, 3))):
        rotation = draw(st.sampled_from(rules.ROTATIONS))
        period = rules.period_of(rotation, draw(st.sampled_from(HOURS)) if rotation == "custom" else None)
        anchor_day = start_day + dt.timedelta(days=draw(st.integers(-20, 2)))
        layers.append(rules.Layer(
            id=i + 1, level=draw(st.integers(0, 2)), period=period,
            anchor=dt.datetime.combine(anchor_day, draw(times)),
            members=tuple(draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))),
            restrictions=draw(restrictions()),
        ))
    overrides = []
    for j in range(draw(st.integers(0, 2))):
        o_start = start + STEP * draw(st.integers(-8, 300))
        overrides.append(rules.OverrideRule(
            id=j + 1, person_id=draw(st.integers(6, 7)), start=o_start,
            end=o_start + STEP * draw(st.integers(1, 100)),
            covers_for=draw(st.one_of(st.none(), st.integers(1, 5))),
        ))
    return rules.CompiledSchedule(1, name, tuple(layers), tuple(overrides)), start, end


def _allowed(wall: dt.datetime, restrictions: tuple[rules.Restriction, ...]) -> bool:
    if not restrictions:
        return True
    for back in (1, 0):
        day = wall.date() - dt.timedelta(days=back)
        for r in restrictions:
            if day.weekday() not in r.days:
                continue
            a = dt.datetime.combine(day, r.start)
            b = dt.datetime.combine(day + dt.timedelta(days=1) if r.end <= r.start else day, r.end)
            if a <= wall < b:
                return True
    return False


def brute(schedule: rules.CompiledSchedule, start: dt.datetime, end: dt.datetime) -> dict[dt.datetime, set[int]]:
    """Who is on call at each 15-minute instant of [start, end), from the local clock alone."""
    tz = ZoneInfo(schedule.time_zone)
    t = start - dt.timedelta(days=1)
    latest = (t - dt.timedelta(days=1)).astimezone(tz).replace(tzinfo=None)  # earlier than any reading below
    out: dict[dt.datetime, set[int]] = {}
    while t < end:
        latest = max(latest, t.astimezone(tz).replace(tzinfo=None))
        if t >= start:
            best, people = None, set()
            for layer in sorted(schedule.layers, key=lambda x: -x.level):
                if best is not None and layer.level < best:
                    break
                if latest < layer.anchor or not _allowed(latest, layer.restrictions):
                    continue
                k = int((latest - layer.anchor) // layer.period)
                best = layer.level
                people.add(layer.members[k % len(layer.members)])
            active = [o for o in schedule.overrides if o.start <= t < o.end]
            wholesale = {o.person_id for o in active if o.covers_for is None}
            if wholesale:
                people = wholesale
            else:
                for o in active:
                    if o.covers_for in people:
                        people = (people - {o.covers_for}) | {o.person_id}
            out[t] = people
        t += STEP
    return out


@settings(max_examples=150, deadline=None)
@given(schedules())
def test_expansion_matches_the_local_clock(case: tuple[rules.CompiledSchedule, dt.datetime, dt.datetime]) -> None:
    schedule, start, end = case
    expected = brute(schedule, start, end)
    shifts = schedule.shifts(start, end)
    for t, people in expected.items():
        from_shifts = {s.person_id for s in shifts if s.start <= t < s.end}
        assert from_shifts == people, (t, schedule.time_zone)
        assert set(schedule.who(t)) == people, (t, schedule.time_zone)
    gaps = schedule.gaps(start, end)
    for t, people in expected.items():
        assert any(a <= t < b for a, b in gaps) == (not people)


@settings(max_examples=100, deadline=None)
@given(schedules())
def test_one_layer_has_no_overlap_and_no_gap_at_a_change(case: tuple[rules.CompiledSchedule, dt.datetime, dt.datetime]) -> None:
    schedule, start, end = case
    layer = rules.Layer(1, 0, schedule.layers[0].period, schedule.layers[0].anchor, (1, 2, 3))
    one = rules.CompiledSchedule(1, schedule.time_zone, (layer,))
    intervals = rules.layer_intervals(layer, one.tz, start, end)
    begin = max(start, rules.to_utc(layer.anchor, one.tz))
    if begin >= end:
        assert intervals == []
        return
    assert intervals[0][0] == begin and intervals[-1][1] == end
    for (_, e, _), (s, _, _) in itertools.pairwise(intervals):
        assert e == s  # consecutive shifts share their boundary instant exactly
    assert one.gaps(begin, end) == []
