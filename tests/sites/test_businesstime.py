"""Business-time arithmetic: hand-computed cases in four sites' calendars, DST, holidays, pauses."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opsdesk.sites import businesstime as bt
from opsdesk.sites import rules
from tests.sites.calendars import at, cal

H = 3600

# (calendar, start, end, expected business hours) — worked out by hand, day by day.
ELAPSED = [
    # a weekend (and London's spring-forward weekend): Fri 16-18 GMT, Mon 08-10 BST
    ("london", "2026-03-27T16:00+00:00", "2026-03-30T10:00+01:00", 4),
    # Christmas (Fri 25) and Boxing Day observed on Mon 28: Thu 12-18, Tue 08-12
    ("london", "2026-12-24T12:00+00:00", "2026-12-29T12:00+00:00", 10),
    # across the new year: Wed 17-18, Thu 31 08-18, New Year's Day Fri closed, Mon 4 Jan 08-09
    ("london", "2026-12-30T17:00+00:00", "2027-01-04T09:00+00:00", 12),
    # the same in a split day (08-12, 13-17:30): Wed 17-17:30, Thu 31 4 + 4.5, Mon 4 Jan 08-09
    ("london_split", "2026-12-30T17:00+00:00", "2027-01-04T09:00+00:00", 10),
    # lunch is closed
    ("london_split", "2026-06-01T12:00+01:00", "2026-06-01T13:00+01:00", 0),
    # inside closed hours and on a holiday
    ("london", "2026-03-27T18:00+00:00", "2026-03-30T08:00+01:00", 0),
    ("london", "2026-12-25T00:00+00:00", "2026-12-26T00:00+00:00", 0),
    # end before start, and empty
    ("london", "2026-03-30T12:00+01:00", "2026-03-30T10:00+01:00", 0),
    ("london", "2026-03-30T12:00+01:00", "2026-03-30T12:00+01:00", 0),
    # Thanksgiving (Thu 26): Wed 15-17, Fri 09-17 (not a federal holiday), Mon 09-10
    ("new_york", "2026-11-25T15:00-05:00", "2026-11-30T10:00-05:00", 11),
    # New York's spring-forward weekend: Fri 16-17 EST, Mon 09-10 EDT
    ("new_york", "2026-03-06T16:00-05:00", "2026-03-09T10:00-04:00", 2),
    # Republic Day (Mon 26 Jan): Fri 17:30-18:30, Tue 09:30-10:30
    ("kolkata", "2026-01-23T17:30+05:30", "2026-01-27T10:30+05:30", 2),
    # Australia Day (Mon 26 Jan): Fri 16-17, Tue 08:30-09:30
    ("sydney", "2026-01-23T16:00+11:00", "2026-01-27T09:30+11:00", 2),
    # Easter and the end of DST (Sun 5 Apr): Thu 16-17 AEDT, Good Friday, Easter Monday, Tue 08:30-09:30 AEST
    ("sydney", "2026-04-02T16:00+11:00", "2026-04-07T09:30+10:00", 2),
    # the start of DST (Sun 4 Oct) and Labour Day (Mon 5 Oct): Fri 16-17 AEST, Tue 08:30-09:30 AEDT
    ("sydney", "2026-10-02T16:00+10:00", "2026-10-06T09:30+11:00", 2),
    # 24x7 across local midnights of a change day: 23 or 25 real hours
    ("london_24x7", "2026-03-29T00:00+00:00", "2026-03-30T00:00+01:00", 23),
    ("london_24x7", "2026-10-25T00:00+01:00", "2026-10-26T00:00+00:00", 25),
    ("new_york_24x7", "2026-03-08T00:00-05:00", "2026-03-09T00:00-04:00", 23),
    ("new_york_24x7", "2026-11-01T00:00-04:00", "2026-11-02T00:00-05:00", 25),
    ("sydney_24x7", "2026-04-05T00:00+11:00", "2026-04-06T00:00+10:00", 25),
    ("sydney_24x7", "2026-10-04T00:00+10:00", "2026-10-05T00:00+11:00", 23),
    ("24x7", "2026-12-31T12:00+00:00", "2027-01-02T12:00+00:00", 48),
    # night shifts spanning the change: 00:00-04:00 is 3 h in March, 5 h in October
    ("london_sun_night", "2026-03-28T12:00+00:00", "2026-03-30T12:00+01:00", 3),
    ("london_sun_night", "2026-10-24T12:00+01:00", "2026-10-26T12:00+00:00", 5),
    ("new_york_sun_night", "2026-03-07T12:00-05:00", "2026-03-09T12:00-04:00", 5),
    ("new_york_sun_night", "2026-10-31T12:00-04:00", "2026-11-02T12:00-05:00", 7),
    ("sydney_sun_night", "2026-04-04T12:00+11:00", "2026-04-06T12:00+10:00", 7),
    ("sydney_sun_night", "2026-10-03T12:00+10:00", "2026-10-05T12:00+11:00", 5),
    # 01:30 is skipped on 29 Mar: opens at the jump (02:00 BST), closes 03:00 BST
    ("london_sun_0130", "2026-03-29T00:00+00:00", "2026-03-29T12:00+01:00", 1),
    # 01:30 shown twice on 25 Oct: opens at the first (BST), closes 03:00 GMT
    ("london_sun_0130", "2026-10-25T00:00+01:00", "2026-10-25T12:00+00:00", 2.5),
    ("london_sun_0130", "2026-10-25T01:59+01:00", "2026-10-25T01:01+00:00", 1 / 60 + 1 / 60),
    ("new_york_sun_0230", "2026-03-08T00:00-05:00", "2026-03-08T12:00-04:00", 1),
    ("new_york_sun_0130", "2026-11-01T00:00-04:00", "2026-11-01T12:00-05:00", 2.5),
    # Monday 22:00 to Tuesday 06:00 is one stretch
    ("london_overnight", "2026-03-30T21:00+01:00", "2026-03-31T07:00+01:00", 8),
]


@pytest.mark.parametrize(("name", "start", "end", "hours"), ELAPSED)
def test_elapsed(name, start, end, hours):
    assert bt.elapsed(cal(name), at(start), at(end)) == pytest.approx(hours * H, abs=1e-6)


# (calendar, start, business seconds to add, expected due instant in the site's zone)
DUE = [
    # from Friday 17:00 GMT: one hour on Friday, one on Monday after the change to BST
    ("london", "2026-03-27T17:00+00:00", 2 * H, "2026-03-30T09:00:00+01:00"),
    # crossing the new year: Thu 31 16-18, New Year's Day and the weekend, Mon 4 Jan 08-11
    ("london", "2026-12-31T16:00+00:00", 5 * H, "2027-01-04T11:00:00+00:00"),
    # an exact day: the end of it, not the next morning
    ("london", "2026-03-30T08:00+01:00", 10 * H, "2026-03-30T18:00:00+01:00"),
    ("london", "2026-03-28T12:00+00:00", 0, "2026-03-28T12:00:00+00:00"),
    ("london", "2026-03-28T12:00+00:00", 1, "2026-03-30T08:00:01+01:00"),
    # Christmas and Boxing Day (observed) skipped: Thu 24 17-18, Tue 29 08-09
    ("london", "2026-12-24T17:00+00:00", 2 * H, "2026-12-29T09:00:00+00:00"),
    ("new_york", "2026-10-30T16:00-04:00", 2 * H, "2026-11-02T10:00:00-05:00"),
    ("new_york", "2026-11-25T16:00-05:00", 2 * H, "2026-11-27T10:00:00-05:00"),
    ("kolkata", "2026-01-23T18:00+05:30", H, "2026-01-27T10:00:00+05:30"),
    ("sydney", "2026-04-02T16:30+11:00", H, "2026-04-07T09:00:00+10:00"),
    ("london_24x7", "2026-10-25T00:00+01:00", 25 * H, "2026-10-26T00:00:00+00:00"),
    ("24x7", "2026-12-31T23:00+00:00", 2 * H, "2027-01-01T01:00:00+00:00"),
    # opening in the gap: the first second after the jump
    ("london_sun_0130", "2026-03-29T00:00+00:00", 1, "2026-03-29T02:00:01+01:00"),
    ("london_overnight", "2026-03-30T23:00+01:00", 2 * H, "2026-03-31T01:00:00+01:00"),
    # a year of business days ahead: 2027 England has 8 bank holidays on weekdays, 253 working days
    ("london", "2027-01-01T00:00+00:00", 253 * 10 * H, "2027-12-31T18:00:00+00:00"),
]


@pytest.mark.parametrize(("name", "start", "seconds", "expected"), DUE)
def test_due(name, start, seconds, expected):
    calendar = cal(name)
    due = bt.due(calendar, at(start), seconds)
    assert due is not None and due.tzinfo is dt.UTC
    assert due.astimezone(ZoneInfo(calendar.time_zone)).isoformat() == expected
    assert bt.elapsed(calendar, at(start), due) == seconds


THU_0900 = "2026-03-26T09:00+00:00"
PAUSE_NIGHT_AND_WEEKEND = ("2026-03-26T17:00+00:00", "2026-03-30T09:00+01:00")


def _pauses(*pairs):
    return [(at(s), None if e is None else at(e)) for s, e in pairs]


@pytest.mark.parametrize(
    ("pauses", "hours"),
    [
        # no pause: Thu 9 + Fri 10 + Mon 10 + Tue 08-12 4
        ((), 33),
        # paused Thu 17:00 to Mon 09:00 (a night and a weekend): Thu 1 + Fri 10 + Mon 1 stop
        ((PAUSE_NIGHT_AND_WEEKEND,), 21),
        # the same time as two overlapping pauses, given out of order
        ((("2026-03-27T10:00+00:00", "2026-03-30T09:00+01:00"), ("2026-03-26T17:00+00:00", "2026-03-27T12:00+00:00")), 21),
        # a pause reaching before the start and after the end counts only inside
        ((("2026-03-20T00:00+00:00", "2026-03-26T10:00+00:00"), ("2026-03-31T11:00+01:00", "2026-04-30T00:00+01:00")), 31),
        # still paused since Thursday 17:00
        ((("2026-03-26T17:00+00:00", None),), 8),
        # a pause that ends before it starts is empty
        ((("2026-03-27T12:00+00:00", "2026-03-27T10:00+00:00"),), 33),
    ],
)
def test_elapsed_with_pauses(pauses, hours):
    got = bt.elapsed(cal("london"), at(THU_0900), at("2026-03-31T12:00+01:00"), _pauses(*pauses))
    assert got == hours * H


def test_due_with_a_pause_across_a_night_and_a_weekend():
    london = cal("london")
    # 8 h on Thursday before the pause, then 2 h from Monday 09:00
    due = bt.due(london, at(THU_0900), 10 * H, _pauses(PAUSE_NIGHT_AND_WEEKEND))
    assert due == at("2026-03-30T11:00+01:00")
    # reached before the pause starts: the pause does not matter
    assert bt.due(london, at(THU_0900), 8 * H, _pauses(PAUSE_NIGHT_AND_WEEKEND)) == at("2026-03-26T17:00+00:00")
    # a pause that never ends stops the clock for good
    assert bt.due(london, at(THU_0900), 10 * H, _pauses(("2026-03-26T17:00+00:00", None))) is None
    assert bt.due(london, at(THU_0900), 8 * H, _pauses(("2026-03-26T17:00+00:00", None))) == at("2026-03-26T17:00+00:00")


def test_instants_must_be_aware_and_seconds_not_negative():
    london = cal("london")
    with pytest.raises(ValueError, match="offset"):
        bt.elapsed(london, dt.datetime(2026, 3, 30, 9), at("2026-03-30T10:00+01:00"))
    with pytest.raises(ValueError, match="offset"):
        bt.due(london, dt.datetime(2026, 3, 30, 9), 60)
    with pytest.raises(ValueError, match="not negative"):
        bt.due(london, at(THU_0900), -1)


def test_a_calendar_that_is_never_open():
    closed = bt.Calendar("Europe/London", {})
    assert bt.elapsed(closed, at("2026-01-01T00:00+00:00"), at("2027-01-01T00:00+00:00")) == 0
    with pytest.raises(ValueError, match="no business hours"):
        bt.due(closed, at(THU_0900), 1)
    # open one hour a year (a holiday every other day): the due instant is refused past MAX_YEAR
    rare = bt.Calendar("UTC", {"mon": [["09:00", "10:00"]]},
                       lambda year: {dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(1, 366)})
    with pytest.raises(ValueError, match=str(bt.MAX_YEAR)):
        bt.due(rare, at(THU_0900), 10**6)


def test_years_outside_the_supported_range_are_refused():
    with pytest.raises(ValueError, match="years"):
        bt.elapsed(cal("london"), at("1800-01-01T00:00+00:00"), at(THU_0900))


@pytest.mark.parametrize(
    "hours",
    [{"mon": [["09:00"]]}, {"mon": [["10:00", "09:00"]]}, {"mon": [["08:00", "12:00"], ["11:00", "13:00"]]},
     {"mon": [["08:00", "24:30"]]}, {"xyz": []}, {"mon": [["8:00", "12:00"]]}],
)
def test_bad_hours_are_refused(hours):
    with pytest.raises(ValueError):
        bt.Calendar("Europe/London", hours)


def test_calendar_for_is_built_once_per_calendar():
    hours = rules.default_business_hours()
    first = rules.calendar_for("Europe/London", hours, "GB", "ENG")
    assert rules.calendar_for("Europe/London", rules.validate_business_hours(hours), "GB", "ENG") is first
    assert rules.calendar_for("Europe/London", hours, "GB", "SCT") is not first
    assert rules.calendar_for("Europe/Paris", hours, "GB", "ENG") is not first


def test_answers_do_not_depend_on_the_order_the_years_were_built():
    """The tables grow backwards and forwards; cumulative seconds keep one origin."""
    hours, start, end = rules.default_business_hours(), at("2026-11-02T09:00+00:00"), at("2027-02-01T12:00+00:00")
    expected = bt.elapsed(bt.Calendar("Europe/London", hours), start, end)
    grown = bt.Calendar("Europe/London", hours)
    bt.elapsed(grown, at("2030-06-01T00:00+00:00"), at("2031-06-01T00:00+00:00"))
    bt.elapsed(grown, at("1999-06-01T00:00+00:00"), at("2000-06-01T00:00+00:00"))
    assert bt.elapsed(grown, start, end) == expected
    assert bt.due(grown, start, expected) == end
    # due instants past the years built (the tables grow forward while the query runs); no
    # holidays here: Tue 30 Dec 09-18, Wed 31 08-18, Thu 1 Jan 08-18, Fri 2 Jan 08-09
    late = at("2031-12-30T09:00+00:00")
    assert bt.due(grown, late, 30 * H) == bt.due(bt.Calendar("Europe/London", hours), late, 30 * H)
    assert bt.due(grown, late, 30 * H) == at("2032-01-02T09:00+00:00")
    # paused from Thu 1 Jan 2032 10:00 (21 h done) to Mon 3 Jan 2033 10:00: 8 h that day, 1 h on Tuesday
    pause = (at("2032-01-01T10:00+00:00"), at("2033-01-03T10:00+00:00"))
    assert bt.due(grown, late, 30 * H, [pause]) == at("2033-01-04T09:00+00:00")


def test_cumulative_seconds_keep_their_origin_when_the_tables_grow_backwards():
    """What makes sharing a calendar between threads safe: a query that read the old tables
    and finishes on new ones (grown meanwhile by another thread) sees the same counts."""
    calendar = bt.Calendar("Europe/London", rules.default_business_hours())
    t = at("2030-03-04T12:00+00:00").timestamp()
    before = calendar._business_before(t)
    calendar.elapsed_s(at("1999-06-01T00:00+00:00").timestamp(), t)  # grows back to 1999
    calendar.elapsed_s(t, at("2040-06-01T00:00+00:00").timestamp())  # and on to 2040
    assert calendar._business_before(t) == before


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 3 * 365 * 86400), st.integers(0, 60 * 86400), st.integers(1, 400 * 3600))
def test_running_total_and_its_inverse_are_elapsed_and_due(offset, span, amount) -> None:
    """business_at_s differences are elapsed_s; instant_at_s of a total plus n is due_s."""
    calendar = cal("london")
    a = dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp() + offset
    assert calendar.business_at_s(a + span) - calendar.business_at_s(a) == calendar.elapsed_s(a, a + span)
    assert calendar.instant_at_s(calendar.business_at_s(a) + amount) == calendar.due_s(a, amount)
