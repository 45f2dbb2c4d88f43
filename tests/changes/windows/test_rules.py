"""The pure rules of windows and freezes in each site's local time: DST edges, recurrence expansion, the check."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dateutil import rrule as rr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opsdesk.changes.windows import rules as window_rules
from opsdesk.changes.windows.rules import SiteCalendar, WindowRule

UTC = dt.UTC
LONDON, NEW_YORK, KOLKATA, BERLIN = "Europe/London", "America/New_York", "Asia/Kolkata", "Europe/Berlin"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def rule(
    kind: str = "window", *, rrule: str = "FREQ=WEEKLY;BYDAY=SU", start_on: dt.date = dt.date(2025, 1, 5),
    start_time: dt.time = dt.time(1, 0), minutes: int = 240, id: int = 1, name: str = "Sunday maintenance",
    site_id: int | None = 1, region_id: int | None = None, client_id: int | None = None,
) -> WindowRule:
    return WindowRule(id, kind, name, site_id, region_id, client_id, start_on, start_time, minutes, rrule)


def site(tz: str = LONDON, *, id: int = 1, code: str = "lon-dc1", region_id: int = 10, clients: frozenset[int] = frozenset()) -> SiteCalendar:
    return SiteCalendar(id, code, tz, region_id, clients)


def local(occ: list[tuple[dt.datetime, dt.datetime]], tz: str) -> list[tuple[str, str]]:
    z = ZoneInfo(tz)
    return [(s.astimezone(z).strftime("%Y-%m-%d %H:%M%z"), e.astimezone(z).strftime("%Y-%m-%d %H:%M%z")) for s, e in occ]


# --- DST ----------------------------------------------------------------------------------------


def test_weekly_window_keeps_local_time_across_london_spring_and_autumn():
    r = rule(start_time=dt.time(3, 0), minutes=120)
    spring = window_rules.occurrences(r, LONDON, utc(2026, 3, 21), utc(2026, 4, 6))
    assert local(spring, LONDON) == [
        ("2026-03-22 03:00+0000", "2026-03-22 05:00+0000"),
        ("2026-03-29 03:00+0100", "2026-03-29 05:00+0100"),
        ("2026-04-05 03:00+0100", "2026-04-05 05:00+0100"),
    ]
    autumn = window_rules.occurrences(r, LONDON, utc(2026, 10, 18), utc(2026, 11, 2))
    assert [s for s, _ in autumn] == [utc(2026, 10, 18, 2), utc(2026, 10, 25, 3), utc(2026, 11, 1, 3)]


def test_window_crossing_the_london_spring_change_is_real_elapsed_minutes_and_starts_after_the_gap():
    # 01:00 does not exist on 29 Mar 2026: read with the offset before the gap (RFC 5545), i.e. 02:00 BST.
    occ = window_rules.occurrences(rule(), LONDON, utc(2026, 3, 29), utc(2026, 3, 30))
    assert occ == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 5))]
    assert local(occ, LONDON) == [("2026-03-29 02:00+0100", "2026-03-29 06:00+0100")]


def test_window_crossing_the_london_autumn_change_starts_at_the_first_of_the_repeated_hour():
    occ = window_rules.occurrences(rule(), LONDON, utc(2026, 10, 25), utc(2026, 10, 26))
    # 01:00 happens twice; the first (BST) is taken; 240 real minutes end at 04:00 GMT.
    assert local(occ, LONDON) == [("2026-10-25 01:00+0100", "2026-10-25 04:00+0000")]


def test_new_york_window_across_both_changes():
    r = rule(start_time=dt.time(1, 30), minutes=120, rrule="FREQ=WEEKLY;BYDAY=SU")
    march = window_rules.occurrences(r, NEW_YORK, utc(2026, 3, 8), utc(2026, 3, 9))
    assert local(march, NEW_YORK) == [("2026-03-08 01:30-0500", "2026-03-08 04:30-0400")]
    november = window_rules.occurrences(r, NEW_YORK, utc(2026, 11, 1), utc(2026, 11, 2))
    assert local(november, NEW_YORK) == [("2026-11-01 01:30-0400", "2026-11-01 02:30-0500")]
    assert november[0][1] - november[0][0] == dt.timedelta(hours=2)


def test_new_york_start_inside_the_spring_gap_moves_forward_by_the_gap():
    r = rule(start_time=dt.time(2, 30), minutes=60, rrule="FREQ=DAILY")
    occ = window_rules.occurrences(r, NEW_YORK, utc(2026, 3, 8, 5), utc(2026, 3, 8, 12))
    assert local(occ, NEW_YORK) == [("2026-03-08 03:30-0400", "2026-03-08 04:30-0400")]


def test_kolkata_half_hour_offset():
    r = rule(start_time=dt.time(23, 0), minutes=90, rrule="FREQ=DAILY")
    occ = window_rules.occurrences(r, KOLKATA, utc(2026, 6, 1), utc(2026, 6, 2))
    assert occ == [(utc(2026, 6, 1, 17, 30), utc(2026, 6, 1, 19))]  # 23:00 IST = 17:30 UTC
    sc = site(KOLKATA, code="blr-h1")
    assert window_rules.check(utc(2026, 6, 1, 17, 30), utc(2026, 6, 1, 19), [sc], [r]) == []
    [v] = window_rules.check(utc(2026, 6, 1, 17), utc(2026, 6, 1, 18), [sc], [r])
    assert v.kind == "outside_window"
    assert "Mon 1 Jun 22:30–23:30 Asia/Kolkata" in v.detail
    assert "'Sunday maintenance' (Mon 1 Jun 23:00–Tue 2 Jun 00:30 Asia/Kolkata)" in v.detail


def test_one_region_rule_means_different_instants_at_london_and_frankfurt():
    r = rule(site_id=None, region_id=10)
    london, frankfurt = site(LONDON, id=1), site(BERLIN, id=2, code="fra-dc1")
    assert window_rules.applicable(london, [r]) == window_rules.applicable(frankfurt, [r]) == [r]
    at_london = window_rules.occurrences(r, LONDON, utc(2026, 7, 5), utc(2026, 7, 6))
    at_frankfurt = window_rules.occurrences(r, BERLIN, utc(2026, 7, 4, 12), utc(2026, 7, 6))
    assert at_london == [(utc(2026, 7, 5), utc(2026, 7, 5, 4))]
    assert at_frankfurt == [(utc(2026, 7, 4, 23), utc(2026, 7, 5, 3))]
    # 00:00-04:00 UTC is inside London's window but runs past Frankfurt's.
    violations = window_rules.check(utc(2026, 7, 5), utc(2026, 7, 5, 4), [london, frankfurt], [r])
    assert [v.site_code for v in violations] == ["fra-dc1"]
    assert "overlaps but does not fit inside" in violations[0].detail
    assert "(Sun 5 Jul 02:00–06:00 Europe/Berlin)" in violations[0].detail


# --- recurrence -----------------------------------------------------------------------------------


def test_monthly_first_sunday():
    r = rule(rrule="FREQ=MONTHLY;BYDAY=1SU", start_on=dt.date(2024, 1, 1), start_time=dt.time(2, 0), minutes=180)
    starts = [s for s, _ in window_rules.occurrences(r, LONDON, utc(2026, 1, 1), utc(2026, 7, 1))]
    assert [s.date() for s in starts] == [
        dt.date(2026, 1, 4), dt.date(2026, 2, 1), dt.date(2026, 3, 1), dt.date(2026, 4, 5),
        dt.date(2026, 5, 3), dt.date(2026, 6, 7),
    ]
    assert starts[3] == utc(2026, 4, 5, 1)  # 02:00 BST


def test_yearly_freeze_across_new_year():
    freeze = rule("freeze", rrule="FREQ=YEARLY", start_on=dt.date(2020, 12, 15), start_time=dt.time(0, 0),
                  minutes=21 * 24 * 60, name="Christmas freeze", id=7)
    occ = window_rules.occurrences(freeze, LONDON, utc(2027, 1, 1), utc(2027, 1, 2))
    assert occ == [(utc(2026, 12, 15), utc(2027, 1, 5))]
    assert window_rules.occurrences(freeze, LONDON, utc(2027, 1, 5), utc(2027, 12, 14)) == []
    [v] = window_rules.check(utc(2026, 12, 14, 22), utc(2026, 12, 15, 2), [site()], [freeze])
    assert v.kind == "freeze" and v.rule_id == 7
    assert v.detail == (
        "lon-dc1: the change (Mon 14 Dec 22:00–Tue 15 Dec 02:00 Europe/London) falls in the freeze "
        "'Christmas freeze' (15 Dec 2026 00:00 – 5 Jan 2027 00:00 Europe/London)"
    )


def test_one_off_window_and_count_and_until():
    one_off = rule(rrule="", start_on=dt.date(2026, 5, 2), start_time=dt.time(20, 0), minutes=60)
    assert window_rules.occurrences(one_off, LONDON, utc(2026, 5, 1), utc(2026, 5, 3)) == [(utc(2026, 5, 2, 19), utc(2026, 5, 2, 20))]
    assert window_rules.occurrences(one_off, LONDON, utc(2026, 5, 2, 20), utc(2026, 5, 3)) == []
    counted = rule(rrule="FREQ=WEEKLY;BYDAY=SU;COUNT=2", start_on=dt.date(2026, 1, 4))
    assert len(window_rules.occurrences(counted, LONDON, utc(2026, 1, 1), utc(2027, 1, 1))) == 2
    until = rule(rrule="FREQ=DAILY;UNTIL=20260110", start_on=dt.date(2026, 1, 1))
    starts = window_rules.occurrences(until, LONDON, utc(2025, 1, 1), utc(2027, 1, 1))
    assert starts[-1][0] == utc(2026, 1, 10, 1)  # a date-only UNTIL includes that whole local day


@pytest.mark.parametrize("spec", [
    "FREQ=WEEKLY;BYDAY=SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA,SU", "FREQ=DAILY;INTERVAL=3", "FREQ=HOURLY;INTERVAL=7",
    "FREQ=MONTHLY;BYDAY=-1FR", "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=13", "FREQ=YEARLY;INTERVAL=2;BYMONTH=3;BYDAY=-1SU",
    "FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=-1", "FREQ=MONTHLY;BYMONTHDAY=31",
])
def test_reanchored_expansion_equals_expansion_from_the_start(spec):
    r = rule(rrule=spec, start_on=dt.date(2019, 1, 31), start_time=dt.time(1, 30), minutes=90)
    base = rr.rrulestr(spec, dtstart=dt.datetime(2019, 1, 31, 1, 30, tzinfo=ZoneInfo(NEW_YORK)))
    lo, hi = utc(2026, 2, 20), utc(2026, 11, 20)
    expected = [s.astimezone(UTC) for s in base.between(lo - dt.timedelta(minutes=90), hi)]
    assert [s for s, _ in window_rules.occurrences(r, NEW_YORK, lo, hi)] == expected


def test_next_occurrences():
    nxt = window_rules.next_occurrences(rule(), LONDON, utc(2026, 3, 24), 3)
    assert [s.isoformat() for s, _ in nxt] == [
        "2026-03-29T02:00:00+01:00", "2026-04-05T01:00:00+01:00", "2026-04-12T01:00:00+01:00",
    ]
    assert nxt[1][1].isoformat() == "2026-04-05T05:00:00+01:00"


# --- check ---------------------------------------------------------------------------------------

WINDOW = rule()  # Sundays 01:00-05:00 London
FREEZE = rule("freeze", rrule="", start_on=dt.date(2026, 7, 1), start_time=dt.time(0, 0), minutes=7 * 1440, id=2, name="July freeze")


@pytest.mark.parametrize(("start", "end", "rules", "expected"), [
    (utc(2026, 6, 7, 1), utc(2026, 6, 7, 3), [WINDOW], []),  # 02:00-04:00 BST, inside
    (utc(2026, 6, 7, 0), utc(2026, 6, 7, 4), [WINDOW], []),  # exactly the window
    (utc(2026, 6, 7, 3), utc(2026, 6, 7, 5), [WINDOW], ["outside_window"]),  # straddles the end
    (utc(2026, 6, 6, 23, 30), utc(2026, 6, 7, 1), [WINDOW], ["outside_window"]),  # straddles the start
    (utc(2026, 6, 9, 12), utc(2026, 6, 9, 13), [WINDOW], ["outside_window"]),  # a Tuesday
    (utc(2026, 7, 3, 12), utc(2026, 7, 3, 13), [FREEZE], ["freeze"]),  # no window rules: only freezes matter
    (utc(2026, 6, 3, 12), utc(2026, 6, 3, 13), [FREEZE], []),
    (utc(2026, 6, 30, 22), utc(2026, 6, 30, 23), [FREEZE], []),  # ends as the freeze starts (23:00 UTC)
    (utc(2026, 6, 30, 22), utc(2026, 6, 30, 23, 1), [FREEZE], ["freeze"]),
    (utc(2026, 7, 5, 0), utc(2026, 7, 5, 1), [WINDOW, FREEZE], ["freeze"]),  # inside a window, but frozen
    (utc(2026, 6, 7, 1), utc(2026, 6, 7, 3), [], []),
])
def test_check(start, end, rules, expected):
    assert [v.kind for v in window_rules.check(start, end, [site()], rules)] == expected


def test_check_reports_each_site_and_only_rules_that_apply():
    other = rule(site_id=99, id=3, name="Elsewhere")
    by_client = rule("freeze", rrule="", site_id=None, client_id=5, id=4, name="Client freeze",
                     start_on=dt.date(2026, 6, 9), start_time=dt.time(0, 0), minutes=1440)
    a, b = site(id=1, code="a", clients=frozenset({5})), site(id=2, code="b")
    found = window_rules.check(utc(2026, 6, 9, 12), utc(2026, 6, 9, 13), [a, b], [other, by_client])
    assert [(v.site_code, v.rule_name, v.kind) for v in found] == [("a", "Client freeze", "freeze")]


# --- validation -------------------------------------------------------------------------------------

START = dt.datetime(2026, 1, 4, 1, 0)


@pytest.mark.parametrize(("text", "message"), [
    ("FREQ=SOMETIMES", "not a valid"),
    ("FREQ=MINUTELY", "too frequent"),
    ("FREQ=SECONDLY;INTERVAL=30", "too frequent"),
    ("DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "one RRULE"),
    ("FREQ=DAILY;UNTIL=20270101T000000Z", "without 'Z'"),
    ("FREQ=DAILY;COUNT=3;UNTIL=20270101", "not both"),
    ("FREQ=DAILY;UNTIL=20250101", "no occurrence"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),
    ("", "empty"),
])
def test_invalid_rules(text, message):
    with pytest.raises(ValueError, match=message):
        window_rules.validate_rrule(text, START)


def test_valid_rules_are_normalised():
    assert window_rules.validate_rrule(" rrule:freq=weekly;byday=su ", START) == "FREQ=WEEKLY;BYDAY=SU"
    assert window_rules.validate_rrule("FREQ=MONTHLY;BYDAY=1SU;COUNT=12", START) == "FREQ=MONTHLY;BYDAY=1SU;COUNT=12"
    with pytest.raises(ValueError):
        window_rules.validate_duration(0)
    with pytest.raises(ValueError):
        window_rules.validate_duration(60 * 24 * 366 + 1)


# --- property: the check finds a freeze iff brute force finds an overlapping occurrence -------------

ZONES = [LONDON, NEW_YORK, KOLKATA, "Australia/Sydney", "UTC"]
SPECS = ["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=SU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA", "FREQ=MONTHLY;BYDAY=1SU",
         "FREQ=MONTHLY;BYMONTHDAY=15", "FREQ=YEARLY", "FREQ=HOURLY;INTERVAL=11", ""]


# A freeze or window rule drawn at random: zone, recurrence, first day and time, length.
RULES = {
    "tz": st.sampled_from(ZONES),
    "spec": st.sampled_from(SPECS),
    "start_on": st.dates(dt.date(2020, 1, 1), dt.date(2026, 12, 31)),
    "start_minute": st.integers(0, 24 * 60 - 1),
    "minutes": st.integers(1, 30 * 24 * 60),
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    **RULES,
    change_at=st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 12, 31)),
    change_minutes=st.integers(1, 3 * 24 * 60),
)
def test_freeze_reported_iff_brute_force_finds_an_overlap(tz, spec, start_on, start_minute, minutes, change_at, change_minutes):
    start_time = dt.time(start_minute // 60, start_minute % 60)
    freeze = rule("freeze", rrule=spec, start_on=start_on, start_time=start_time, minutes=minutes)
    begin = change_at.replace(tzinfo=UTC)
    end = begin + dt.timedelta(minutes=change_minutes)
    first = dt.datetime.combine(start_on, start_time, tzinfo=ZoneInfo(tz))
    duration = dt.timedelta(minutes=minutes)
    if spec:
        brute = rr.rrulestr(spec, dtstart=first)
        starts = brute.between(first - dt.timedelta(days=1), end, inc=True)  # everything from the start on
        starts = [s for s in starts if s >= first]
    else:
        starts = [first]
    overlaps = any(s < end and s + duration > begin for s in starts)
    violations = window_rules.check(begin, end, [site(tz)], [freeze])
    assert bool(violations) == overlaps


# --- property: bulk checks read each rule's occurrences from a cached block expansion -------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    **RULES,
    change_at=st.datetimes(dt.datetime(2019, 6, 1), dt.datetime(2027, 12, 31)),
    change_minutes=st.integers(1, 90 * 24 * 60),
)
def test_block_expansion_finds_exactly_the_occurrences_of_a_direct_expansion(
    tz, spec, start_on, start_minute, minutes, change_at, change_minutes
):
    start_time = dt.time(start_minute // 60, start_minute % 60)
    any_rule = rule("freeze", rrule=spec, start_on=start_on, start_time=start_time, minutes=minutes)
    begin = change_at.replace(tzinfo=UTC)
    end = begin + dt.timedelta(minutes=change_minutes)
    assert window_rules.overlapping(any_rule, tz, begin, end) == window_rules.occurrences(any_rule, tz, begin, end)


def test_block_expansion_keeps_the_edges_open():
    # Daily 02:00-04:00 UTC: a change from 04:00 touches the end, one until 02:00 touches the start.
    nightly = rule("freeze", rrule="FREQ=DAILY", start_on=dt.date(2025, 1, 1), start_time=dt.time(2), minutes=120)
    after = dt.datetime(2026, 3, 3, 4, tzinfo=UTC)
    before = dt.datetime(2026, 3, 3, 2, tzinfo=UTC)
    assert window_rules.overlapping(nightly, "UTC", after, after + dt.timedelta(hours=1)) == []
    assert window_rules.overlapping(nightly, "UTC", before - dt.timedelta(hours=1), before) == []
    inside = window_rules.overlapping(nightly, "UTC", after - dt.timedelta(minutes=1), after + dt.timedelta(hours=1))
    assert inside == [(dt.datetime(2026, 3, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 3, 4, tzinfo=UTC))]
